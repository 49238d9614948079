/**
 * The login flow's short-lived cookie: state, nonce, PKCE verifier and where to go afterwards,
 * signed with HMAC-SHA256 under SESSION_SECRET. It is signed, not encrypted: it stays in the
 * user's own browser (HttpOnly, path /api/sso, 10 minutes), and the PKCE verifier in it is
 * useless without this app's client credential, which only the server holds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';

export const LOGIN_COOKIE_NAME = 'mishikallm_sso_login';
export const LOGIN_COOKIE_PATH = '/api/sso';
export const LOGIN_COOKIE_LIFETIME_SECONDS = 10 * 60;

const FORMAT_VERSION = 'v1';
const KEY_PURPOSE = 'mishikallm-entra-sync/login-cookie/v1';

export interface LoginSession {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The redirect_uri sent to Entra; the code must be redeemed with exactly the same one. */
  readonly redirectUri: string;
  /** Where the browser goes after a successful sign-in (already checked against the allow-list). */
  readonly returnTo: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

const sessionSchema = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  codeVerifier: z.string().min(43).max(128),
  redirectUri: z.string().min(1),
  returnTo: z.string().min(1),
  expiresAt: z.number().int().positive(),
});

/** A cookie in the shape the Functions host's `Cookie` takes (no Functions types in shared/). */
export interface ResponseCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  readonly maxAge: number;
  readonly httpOnly: true;
  readonly secure: true;
  readonly sameSite: 'Lax';
}

function signingKey(settings: Settings): Buffer {
  const secret = settings.login.sessionSecret;
  if (secret === undefined) {
    throw new SyncServiceError(
      'config_invalid',
      'SESSION_SECRET is not set: the sign-in flow signs its cookie with it (set a random string of at least 32 characters).',
    );
  }
  // A key of its own for this purpose, so the secret can sign other things without confusion.
  return createHmac('sha256', secret).update(KEY_PURPOSE).digest();
}

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sealLoginSession(session: LoginSession, settings: Settings): string {
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  const signed = `${FORMAT_VERSION}.${payload}`;
  return `${signed}.${mac(signingKey(settings), signed).toString('base64url')}`;
}

function invalid(message: string): SyncServiceError {
  return new SyncServiceError('login_state_invalid', message);
}

/** Checks the cookie's signature and expiry; throws `login_state_invalid` saying which failed. */
export function openLoginSession(
  value: string | undefined,
  settings: Settings,
  now: Date,
): LoginSession {
  const key = signingKey(settings);
  if (value === undefined || value === '') {
    throw invalid(
      'No sign-in is in progress in this browser (the sign-in cookie is missing: it lasts 10 minutes, and the sign-in must start and end in the same browser). Start the sign-in again.',
    );
  }
  const [version, payload, signature, ...rest] = value.split('.');
  if (
    version !== FORMAT_VERSION ||
    payload === undefined ||
    signature === undefined ||
    rest.length > 0
  ) {
    throw invalid('The sign-in cookie is not one this service issued. Start the sign-in again.');
  }
  const expected = mac(key, `${version}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid(
      'The sign-in cookie has been altered (its signature does not match). Start the sign-in again.',
    );
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid('The sign-in cookie cannot be read. Start the sign-in again.');
  }
  const parsed = sessionSchema.safeParse(decoded);
  if (!parsed.success) {
    throw invalid('The sign-in cookie cannot be read. Start the sign-in again.');
  }
  if (parsed.data.expiresAt <= now.getTime()) {
    throw invalid(
      `The sign-in took longer than ${LOGIN_COOKIE_LIFETIME_SECONDS / 60} minutes and has expired. Start the sign-in again.`,
    );
  }
  return parsed.data;
}

export function loginCookie(value: string): ResponseCookie {
  return {
    name: LOGIN_COOKIE_NAME,
    value,
    path: LOGIN_COOKIE_PATH,
    maxAge: LOGIN_COOKIE_LIFETIME_SECONDS,
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
  };
}

export function clearedLoginCookie(): ResponseCookie {
  return { ...loginCookie(''), maxAge: 0 };
}

/** The value of one cookie from a `Cookie` request header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
