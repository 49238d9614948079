/** The change-notification part of the console's runs page, as the status shows it. */
import { describe, expect, it } from 'vitest';
import { notificationsSection } from '../../shared/console/pages/notifications.js';
import type { NotificationStatus } from '../../shared/notifications/index.js';

const counts = {
  requests: 3,
  received: 7,
  forged: 1,
  malformed: 0,
  unknownGroups: 2,
  groupsEnqueued: 4,
  messagesEnqueued: 3,
  lifecycleEvents: 1,
  groupsSynced: 4,
  groupsCoalesced: 2,
  lastNotificationAt: '2026-12-01T10:00:05.000Z',
  lastGroupSyncAt: '2026-12-01T10:00:06.000Z',
};

describe('the change-notification section', () => {
  it('shows the subscription, its expiry, its last lifecycle event and the counters when on', () => {
    const status: NotificationStatus = {
      state: 'on',
      notificationUrl: 'https://app.example/api/graph/notifications',
      subscription: {
        id: '7f1c0de0-0000-4000-8000-000000000001',
        resource: 'groups',
        expiresAt: '2026-12-30T09:50:00.000Z',
        createdAt: '2026-12-01T10:00:00.000Z',
        lastRenewedAt: null,
        lastLifecycleEvent: 'reauthorizationRequired',
        lastLifecycleAt: '2026-12-01T11:00:00.000Z',
        lastError: '<b>Graph</b> answered 403',
        lastErrorAt: '2026-12-01T11:00:00.000Z',
      },
      counts,
    };
    const page = notificationsSection(status).value;
    expect(page).toContain('<p id="notifications-state">On.</p>');
    expect(page).toContain('7f1c0de0-0000-4000-8000-000000000001');
    expect(page).toContain('2026-12-30 09:50:00 UTC');
    expect(page).toContain('reauthorizationRequired 2026-12-01 11:00:00 UTC');
    expect(page).toContain('&lt;b&gt;Graph&lt;/b&gt; answered 403');
    expect(page).toContain('received 7, forged 1, unknown groups 2, groups synced 4, coalesced 2');
  });

  it('says how to turn it on when off, and that it has no subscription before the first upkeep', () => {
    expect(
      notificationsSection({ state: 'off', notificationUrl: null, subscription: null, counts })
        .value,
    ).toContain('Off (NOTIFICATION_URL is not set)');
    expect(
      notificationsSection({ state: 'on', notificationUrl: 'x', subscription: null, counts }).value,
    ).toContain('none yet');
  });
});
