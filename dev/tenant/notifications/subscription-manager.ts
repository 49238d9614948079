/**
 * What `/subscriptions` does: create (after the validation handshake on each endpoint, at most
 * 100 per app), read, renew, delete, reauthorize; and the lifecycle events an operator triggers.
 */
import { randomUUID } from 'node:crypto';
import { BadQuery } from '../graph/responses.js';
import type { ChangeNotifier } from './change-notifier.js';
import type { NotificationDeps } from './delivery.js';
import { validateEndpoint } from './handshake.js';
import { sendLifecycleNotification } from './lifecycle.js';
import { parseExpiration, parseSubscriptionRequest } from './subscription-request.js';
import type { SubscriptionStore } from './subscription-store.js';
import type { Subscription } from './subscription.js';

/** Graph's limit of subscriptions on groups per app and tenant. */
export const MAX_SUBSCRIPTIONS_PER_APP = 100;

function notFound(id: string): BadQuery {
  return new BadQuery('ResourceNotFound', `The object was not found: subscription '${id}'.`, 404);
}

export class SubscriptionManager {
  constructor(
    private readonly deps: NotificationDeps,
    private readonly store: SubscriptionStore,
    private readonly notifier: ChangeNotifier,
    private readonly applicationId: string,
  ) {}

  async create(body: unknown, creatorId: string): Promise<Subscription> {
    const request = parseSubscriptionRequest(body, this.deps.clock.now());
    if (this.store.live().length >= MAX_SUBSCRIPTIONS_PER_APP) {
      throw new BadQuery(
        'ExtensionError',
        `Operation: Create; Exception: [Status Code: Forbidden; Reason: The application has reached its limit of ${MAX_SUBSCRIPTIONS_PER_APP} subscriptions on groups in this tenant.]`,
        403,
      );
    }
    for (const url of [request.notificationUrl, request.lifecycleNotificationUrl]) {
      if (url === undefined) continue;
      const refusal = await validateEndpoint(this.deps, url);
      if (refusal !== undefined) {
        this.deps.counters().validationFailures += 1;
        throw new BadQuery('InvalidRequest', refusal);
      }
    }
    const sub: Subscription = {
      id: randomUUID(),
      ...request,
      applicationId: this.applicationId,
      creatorId,
      reauthorizationRequired: false,
    };
    this.store.add(sub);
    this.deps.counters().subscriptionsCreated += 1;
    return sub;
  }

  list(): Subscription[] {
    return this.store.live();
  }

  get(id: string): Subscription {
    const sub = this.store.get(id);
    if (!sub) throw notFound(id);
    return sub;
  }

  /** PATCH: a new expirationDateTime (within the same limit); renewing also reauthorizes. */
  renew(id: string, body: unknown): Subscription {
    const sub = this.get(id);
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    sub.expirationMs = parseExpiration(b.expirationDateTime, this.deps.clock.now());
    this.deps.counters().subscriptionsRenewed += 1;
    this.reauthorize(id);
    return sub;
  }

  delete(id: string): void {
    this.get(id);
    this.store.delete(id);
    this.notifier.forget(id);
    this.deps.counters().subscriptionsDeleted += 1;
  }

  reauthorize(id: string): void {
    const sub = this.get(id);
    if (!sub.reauthorizationRequired) return;
    sub.reauthorizationRequired = false;
    this.notifier.reauthorized(id);
  }

  /**
   * Sends `reauthorizationRequired` to each named (or every) subscription; their change
   * notifications wait until the app reauthorizes or renews. Resolves with the subscriptions told.
   */
  async requireReauthorization(ids?: string[]): Promise<string[]> {
    const subs = ids === undefined ? this.store.live() : ids.map((id) => this.get(id));
    for (const sub of subs) sub.reauthorizationRequired = true;
    await Promise.all(
      subs.map((sub) => sendLifecycleNotification(this.deps, sub, 'reauthorizationRequired')),
    );
    return subs.map((s) => s.id);
  }

  /** Removes a subscription as Graph sometimes does, telling its lifecycle URL `subscriptionRemoved`. */
  async removeWithNotice(id: string): Promise<void> {
    const sub = this.get(id);
    this.store.delete(id);
    this.notifier.forget(id);
    this.deps.counters().subscriptionsDeleted += 1;
    await sendLifecycleNotification(this.deps, sub, 'subscriptionRemoved');
  }
}
