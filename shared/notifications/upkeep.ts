/**
 * Keeping the one Graph subscription on groups alive: created when there is none, renewed once
 * less than half of Graph's longest lifetime remains (PATCH, which also reauthorizes), and
 * recreated when Graph no longer has it or it was made with another URL or clientState. Each
 * time notifications may have been lost (a subscription gone or replaced), a catch-up full pass
 * is queued. With NOTIFICATION_URL unset nothing is kept: a subscription left over from before
 * is deleted, so Graph stops posting to a webhook that answers 404.
 */
import { describeError } from '../errors.js';
import { MAX_GROUP_SUBSCRIPTION_MINUTES, type SubscriptionsApi } from '../graph/index.js';
import type { GroupSyncQueue } from '../queue/index.js';
import type { Clock } from '../services.js';
import type { Settings } from '../config/settings.js';
import type { NotificationState, SubscriptionRecord } from '../store/index.js';
import { resolveClientState, subscriptionFingerprint } from './client-state.js';

/** Asked for a little under Graph's limit, so clock skew never makes it refuse the expiry. */
export const SUBSCRIPTION_LIFETIME_MS = (MAX_GROUP_SUBSCRIPTION_MINUTES - 10) * 60_000;
/** Renewed once less than this remains: an hourly timer then has two weeks of retries. */
export const RENEW_WHEN_REMAINING_MS = SUBSCRIPTION_LIFETIME_MS / 2;

export interface UpkeepDependencies {
  readonly settings: Settings;
  readonly state: NotificationState;
  readonly subscriptions: SubscriptionsApi;
  readonly queue: GroupSyncQueue;
  readonly clock: Clock;
}

/** Why the upkeep runs: the timer, or a lifecycle notification for the kept subscription. */
export type UpkeepReason = 'timer' | 'reauthorizationRequired' | 'subscriptionRemoved';

export type UpkeepAction = 'off' | 'removed' | 'created' | 'recreated' | 'renewed' | 'kept';

export interface UpkeepOutcome {
  readonly action: UpkeepAction;
  readonly subscriptionId?: string | undefined;
  readonly expiresAt?: string | undefined;
  /** A catch-up full pass was queued (notifications may have been lost). */
  readonly catchUp: boolean;
}

export async function keepSubscription(
  dependencies: UpkeepDependencies,
  reason: UpkeepReason = 'timer',
): Promise<UpkeepOutcome> {
  const { settings, state, subscriptions, queue, clock } = dependencies;
  const kept = await state.readSubscription();
  const url = settings.notifications.url;
  if (url === undefined) {
    if (kept === undefined) return { action: 'off', catchUp: false };
    await subscriptions.remove(kept.subscriptionId);
    await state.writeSubscription(undefined);
    return { action: 'removed', subscriptionId: kept.subscriptionId, catchUp: false };
  }

  const now = clock();
  const expiry = new Date(now.getTime() + SUBSCRIPTION_LIFETIME_MS).toISOString();
  const clientState = await resolveClientState(settings, state);
  const fingerprint = subscriptionFingerprint(url, clientState);
  const lifecycle =
    reason === 'timer' ? {} : { lastLifecycleEvent: reason, lastLifecycleAt: now.toISOString() };

  const create = async (action: 'created' | 'recreated'): Promise<UpkeepOutcome> => {
    const created = await subscriptions.create({
      notificationUrl: url,
      lifecycleNotificationUrl: url,
      clientState,
      expirationDateTime: expiry,
    });
    const record: SubscriptionRecord = {
      subscriptionId: created.id,
      resource: created.resource,
      expiresAt: created.expirationDateTime,
      createdAt: now.toISOString(),
      fingerprint,
      ...lifecycle,
    };
    await state.writeSubscription(record);
    const catchUp = action === 'recreated';
    if (catchUp) {
      await queue.send([
        { kind: 'catch-up', reason: `subscription ${action}`, requestedAt: now.toISOString() },
      ]);
    }
    return { action, subscriptionId: created.id, expiresAt: created.expirationDateTime, catchUp };
  };

  try {
    if (kept === undefined) return await create('created');
    if (kept.fingerprint !== fingerprint || reason === 'subscriptionRemoved') {
      await subscriptions.remove(kept.subscriptionId);
      return await create('recreated');
    }
    const remaining = new Date(kept.expiresAt).getTime() - now.getTime();
    if (reason === 'timer' && remaining > RENEW_WHEN_REMAINING_MS) {
      return {
        action: 'kept',
        subscriptionId: kept.subscriptionId,
        expiresAt: kept.expiresAt,
        catchUp: false,
      };
    }
    const renewed = await subscriptions.renew(kept.subscriptionId, expiry);
    if (renewed === undefined) return await create('recreated');
    await state.writeSubscription({
      ...kept,
      expiresAt: renewed.expirationDateTime,
      lastRenewedAt: now.toISOString(),
      lastError: undefined,
      lastErrorAt: undefined,
      ...lifecycle,
    });
    return {
      action: 'renewed',
      subscriptionId: kept.subscriptionId,
      expiresAt: renewed.expirationDateTime,
      catchUp: false,
    };
  } catch (error) {
    if (kept !== undefined) {
      await state
        .writeSubscription({
          ...kept,
          lastError: describeError(error),
          lastErrorAt: now.toISOString(),
        })
        .catch(() => undefined);
    }
    throw error;
  }
}
