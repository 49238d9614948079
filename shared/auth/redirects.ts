/**
 * Where the browser may be sent after signing in: a path on this site, or a page on an origin
 * the operator allowed (ALLOWED_REDIRECT_ORIGINS, plus POST_LOGIN_REDIRECT_URL's own origin).
 * Anything else is `redirect_not_allowed`: the login flow is never an open redirect.
 */
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';

const PROBE_ORIGIN = 'https://relative.invalid';

/** Where a sign-in starts (`functions/sso-login.ts`). */
export const LOGIN_PATH = '/api/sso/login';

/** The link that starts a sign-in again, back to `returnTo` when that is still allowed. */
export function loginPathReturningTo(returnTo: string | undefined, settings: Settings): string {
  if (returnTo === undefined || !isAllowedRedirect(returnTo, settings)) return LOGIN_PATH;
  return `${LOGIN_PATH}?redirect=${encodeURIComponent(returnTo)}`;
}

/** Control characters (browsers silently drop tabs and newlines from URLs), space, backslash. */
function hasUnsafeCharacter(target: string, spaceAllowed: boolean): boolean {
  for (const character of target) {
    const code = character.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || character === '\\') return true;
    if (!spaceAllowed && character === ' ') return true;
  }
  return false;
}

function isLocalPath(target: string): boolean {
  // `//host` and `/\host` are read by browsers as another host; backslashes and control
  // characters have no place in a path we issue.
  if (!target.startsWith('/') || target.startsWith('//')) return false;
  if (hasUnsafeCharacter(target, true)) return false;
  try {
    return new URL(target, PROBE_ORIGIN).origin === PROBE_ORIGIN;
  } catch {
    return false;
  }
}

function allowedOrigins(settings: Settings): Set<string> {
  const origins = new Set(settings.login.allowedRedirectOrigins);
  const configured = settings.login.postLoginRedirectUrl;
  if (!configured.startsWith('/')) {
    try {
      origins.add(new URL(configured).origin);
    } catch {
      // An unparsable POST_LOGIN_REDIRECT_URL adds no origin; it is refused when used.
    }
  }
  return origins;
}

export function isAllowedRedirect(target: string, settings: Settings): boolean {
  if (target.startsWith('/')) return isLocalPath(target);
  if (hasUnsafeCharacter(target, false)) return false;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username !== '' || url.password !== '') return false;
  return allowedOrigins(settings).has(url.origin);
}

/** The post-login target: the requested one when allowed, else POST_LOGIN_REDIRECT_URL. */
export function resolveReturnTo(requested: string | undefined, settings: Settings): string {
  const target = requested ?? settings.login.postLoginRedirectUrl;
  if (!isAllowedRedirect(target, settings)) {
    const shown = target.length > 100 ? `${target.slice(0, 97)}...` : target;
    throw new SyncServiceError(
      'redirect_not_allowed',
      `Not redirecting to ${JSON.stringify(shown)}: only paths on this site (like /ui) or pages on the origins in ALLOWED_REDIRECT_ORIGINS are allowed.`,
    );
  }
  return target;
}
