/**
 * The change-notification part of `GET /api/sync/status`: on or off, the subscription Graph has
 * (never its clientState), and the counters. Safe to show to whoever may read the status.
 */
import type { Settings } from '../config/settings.js';
import type { NotificationCounts, NotificationState } from '../store/index.js';

export interface NotificationStatus {
  readonly state: 'on' | 'off';
  readonly notificationUrl: string | null;
  readonly subscription: {
    readonly id: string;
    readonly resource: string;
    readonly expiresAt: string;
    readonly createdAt: string;
    readonly lastRenewedAt: string | null;
    readonly lastLifecycleEvent: string | null;
    readonly lastLifecycleAt: string | null;
    readonly lastError: string | null;
    readonly lastErrorAt: string | null;
  } | null;
  readonly counts: NotificationCounts;
}

export async function notificationStatus(
  settings: Settings,
  state: NotificationState,
): Promise<NotificationStatus> {
  const [subscription, counts] = await Promise.all([state.readSubscription(), state.readCounts()]);
  return {
    state: settings.notifications.url === undefined ? 'off' : 'on',
    notificationUrl: settings.notifications.url ?? null,
    subscription:
      subscription === undefined
        ? null
        : {
            id: subscription.subscriptionId,
            resource: subscription.resource,
            expiresAt: subscription.expiresAt,
            createdAt: subscription.createdAt,
            lastRenewedAt: subscription.lastRenewedAt ?? null,
            lastLifecycleEvent: subscription.lastLifecycleEvent ?? null,
            lastLifecycleAt: subscription.lastLifecycleAt ?? null,
            lastError: subscription.lastError ?? null,
            lastErrorAt: subscription.lastErrorAt ?? null,
          },
    counts: {
      ...counts,
      lastNotificationAt: counts.lastNotificationAt ?? undefined,
      lastGroupSyncAt: counts.lastGroupSyncAt ?? undefined,
    },
  };
}
