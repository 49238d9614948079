/**
 * The login flow's short-lived cookie: state, nonce, PKCE verifier and where to go afterwards,
 * as a JWT signed with HS256 (jose) under a key derived from SESSION_SECRET. It is signed, not
 * encrypted: it stays in the user's own browser (HttpOnly, path /api/sso, 10 minutes), and the
 * PKCE verifier in it is useless without this app's client credential, which only the server
 * holds. Every cookie has the same JWS header, so the value carries only the JWT's payload and
 * signature: `v1.<payload>.<signature>`.
 */
import { hkdfSync } from 'node:crypto';
import { parseCookie } from 'cookie';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';

export const LOGIN_COOKIE_NAME = 'mishikallm_sso_login';
export const LOGIN_COOKIE_PATH = '/api/sso';
export const LOGIN_COOKIE_LIFETIME_SECONDS = 10 * 60;

const FORMAT_VERSION = 'v1';
const KEY_PURPOSE = 'mishikallm-entra-sync/login-cookie/v1';
const ALGORITHM = 'HS256';
const JWS_HEADER = Buffer.from(JSON.stringify({ alg: ALGORITHM })).toString('base64url');

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

const claimsSchema = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  codeVerifier: z.string().min(43).max(128),
  redirectUri: z.string().min(1),
  returnTo: z.string().min(1),
  exp: z.number().int().positive(),
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

function signingKey(settings: Settings): Uint8Array {
  const secret = settings.login.sessionSecret;
  if (secret === undefined) {
    throw new SyncServiceError(
      'config_invalid',
      'SESSION_SECRET is not set: the sign-in flow signs its cookie with it (set a random string of at least 32 characters).',
    );
  }
  // A key of its own for this purpose, so the secret can sign other things without confusion.
  return new Uint8Array(hkdfSync('sha256', secret, '', KEY_PURPOSE, 32));
}

export async function sealLoginSession(session: LoginSession, settings: Settings): Promise<string> {
  const { expiresAt, ...claims } = session;
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM })
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(signingKey(settings));
  const [header, payload, signature] = jwt.split('.');
  if (header !== JWS_HEADER || payload === undefined || signature === undefined) {
    throw new Error('jose produced a JWS header other than {"alg":"HS256"}');
  }
  return `${FORMAT_VERSION}.${payload}.${signature}`;
}

function invalid(message: string): SyncServiceError {
  return new SyncServiceError('login_state_invalid', message);
}

async function verifiedClaims(
  payload: string,
  signature: string,
  key: Uint8Array,
  now: Date,
): Promise<unknown> {
  try {
    const verified = await jwtVerify(`${JWS_HEADER}.${payload}.${signature}`, key, {
      algorithms: [ALGORITHM],
      currentDate: now,
      requiredClaims: ['exp'],
    });
    return verified.payload;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw invalid(
        'The sign-in cookie has been altered (its signature does not match). Start the sign-in again.',
      );
    }
    if (error instanceof errors.JWTExpired) {
      throw invalid(
        `The sign-in took longer than ${LOGIN_COOKIE_LIFETIME_SECONDS / 60} minutes and has expired. Start the sign-in again.`,
      );
    }
    throw invalid('The sign-in cookie cannot be read. Start the sign-in again.');
  }
}

/** Checks the cookie's signature and expiry; throws `login_state_invalid` saying which failed. */
export async function openLoginSession(
  value: string | undefined,
  settings: Settings,
  now: Date,
): Promise<LoginSession> {
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
  const parsed = claimsSchema.safeParse(await verifiedClaims(payload, signature, key, now));
  if (!parsed.success) {
    throw invalid('The sign-in cookie cannot be read. Start the sign-in again.');
  }
  const { exp, ...session } = parsed.data;
  return { ...session, expiresAt: exp * 1000 };
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

/**
 * The value of one cookie from a `Cookie` request header; none when the name comes twice. A
 * sibling site (or a page over plain http) can set a cookie of the same name for a parent
 * domain or a longer path, and browsers send it first: taking either copy would let it plant
 * its own session or sign-in attempt (session fixation), so neither is taken.
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  const value = parseCookie(header ?? '')[name];
  if (value === undefined) return undefined;
  const copies = (header ?? '')
    .split(';')
    .filter((pair) => pair.slice(0, pair.indexOf('=')).trim() === name).length;
  return copies > 1 ? undefined : value;
}
