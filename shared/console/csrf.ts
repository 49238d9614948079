/**
 * CSRF tokens for the console's forms: an HMAC of the session's random id under a key of its
 * own, so a token is valid for exactly one session and needs no storage. SameSite=Lax already
 * keeps the cookie off cross-site POSTs; the token also covers same-site attackers (another
 * app on a sibling subdomain) and browsers that do not honour SameSite.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import { derivedKey, type ConsoleSession } from './session.js';

const CSRF_KEY_PURPOSE = 'mishikallm-entra-sync/console-csrf/v1';

export const CSRF_FIELD = 'csrf';

export function csrfTokenFor(session: ConsoleSession, settings: Settings): string {
  return createHmac('sha256', derivedKey(settings, CSRF_KEY_PURPOSE))
    .update(session.sessionId)
    .digest('base64url');
}

/** Throws `forbidden` unless `token` is this session's CSRF token. */
export function checkCsrfToken(
  session: ConsoleSession,
  token: string | undefined,
  settings: Settings,
): void {
  const expected = Buffer.from(csrfTokenFor(session, settings));
  const given = Buffer.from(token ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SyncServiceError(
      'forbidden',
      'This form has expired or was not sent from this console (CSRF token missing or wrong). Reload the page and try again.',
    );
  }
}
