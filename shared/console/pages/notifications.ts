/**
 * The change-notification part of the runs page: on or off, the subscription Graph has (never its
 * clientState), and what the webhook and the worker counted, as `/api/sync/status` shows them.
 */
import type { NotificationStatus } from '../../notifications/status.js';
import { orDash, whenText } from '../format.js';
import { html, type SafeHtml } from '../html.js';

function countsText(c: NotificationStatus['counts']): string {
  return [
    `received ${c.received}`,
    `forged ${c.forged}`,
    `unknown groups ${c.unknownGroups}`,
    `groups synced ${c.groupsSynced}`,
    `coalesced ${c.groupsCoalesced}`,
  ].join(', ');
}

export function notificationsSection(status: NotificationStatus): SafeHtml {
  const sub = status.subscription;
  if (status.state === 'off') {
    return html`<h2>Change notifications</h2>
      <p id="notifications-state">
        Off (NOTIFICATION_URL is not set): delta rounds and the full pass keep the tables in step.
      </p>`;
  }
  return html`<h2>Change notifications</h2>
    <p id="notifications-state">On.</p>
    <dl id="notifications">
      <dt>Subscription</dt>
      <dd>${sub === null ? 'none yet (the hourly upkeep creates it)' : sub.id}</dd>
      <dt>Expires</dt>
      <dd>${whenText(sub?.expiresAt)}</dd>
      <dt>Last renewed</dt>
      <dd>${whenText(sub?.lastRenewedAt)}</dd>
      <dt>Last lifecycle event</dt>
      <dd>${orDash(sub?.lastLifecycleEvent)} ${whenText(sub?.lastLifecycleAt)}</dd>
      <dt>Last error</dt>
      <dd>${orDash(sub?.lastError)}</dd>
      <dt>Last notification</dt>
      <dd>${whenText(status.counts.lastNotificationAt)}</dd>
      <dt>Last group sync</dt>
      <dd>${whenText(status.counts.lastGroupSyncAt)}</dd>
      <dt>Counted</dt>
      <dd>${countsText(status.counts)}</dd>
    </dl>`;
}
