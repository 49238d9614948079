/**
 * The subscription's clientState: the one secret that makes a POST to the anonymous webhook a
 * notification from Graph. It comes from `NOTIFICATION_CLIENT_STATE` (a Key Vault reference in
 * Azure) or, when unset, is generated once and kept in `SyncState`. It is never logged and never
 * in a response; the subscription keeps only a digest of it, to notice a rotation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import type { NotificationState } from '../store/index.js';

export async function resolveClientState(
  settings: Settings,
  state: NotificationState,
): Promise<string> {
  return (
    settings.notifications.clientState ??
    (await state.generatedClientState(() => randomBytes(48).toString('base64url')))
  );
}

/** Compares in time that does not depend on where the two differ (or on their lengths). */
export function sameClientState(received: unknown, expected: string): boolean {
  if (typeof received !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(received), digest(expected));
}

/** Names what a subscription was created with, so a new URL or secret recreates it. */
export function subscriptionFingerprint(notificationUrl: string, clientState: string): string {
  return createHash('sha256')
    .update(`${notificationUrl}\n${clientState}`, 'utf8')
    .digest('hex')
    .slice(0, 16);
}
