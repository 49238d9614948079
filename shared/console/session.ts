/**
 * The console's session: after a sign-in, an HS256 JWT (jose) under a key derived from
 * SESSION_SECRET for this purpose only, in an HttpOnly, Secure, SameSite=Lax cookie scoped to
 * the console's routes, for one hour. It carries who signed in and whether they administer the
 * console, decided once from the ID token's `roles` claim; a role change takes effect at the
 * next sign-in, at most an hour later. A cookie that is missing, expired, forged or altered
 * reads as "signed out", never as an error.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { isConsoleAdmin } from '../auth/roles.js';
import type { ResponseCookie } from '../auth/login-cookie.js';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { SignedInIdentity } from '../sync/identity.js';

export const CONSOLE_PATH = '/api/console';
export const CONSOLE_SESSION_COOKIE_NAME = 'mishikallm_console';
export const CONSOLE_SESSION_LIFETIME_SECONDS = 60 * 60;

const ALGORITHM = 'HS256';
const SESSION_KEY_PURPOSE = 'mishikallm-entra-sync/console-session/v1';

export interface ConsoleSession {
  readonly userId: string;
  readonly name: string;
  readonly userPrincipalName: string;
  readonly admin: boolean;
  /** Random per sign-in: what the CSRF token is bound to. */
  readonly sessionId: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(100),
  name: z.string().max(300),
  upn: z.string().max(300),
  adm: z.boolean(),
  sid: z.string().min(16).max(100),
  exp: z.number().int().positive(),
});

/** A key of its own per purpose, so one SESSION_SECRET signs several things without confusion. */
export function derivedKey(settings: Settings, purpose: string): Uint8Array {
  const secret = settings.login.sessionSecret;
  if (secret === undefined) {
    throw new SyncServiceError(
      'config_invalid',
      'SESSION_SECRET is not set: the console signs its session cookie with it (set a random string of at least 32 characters).',
    );
  }
  return new Uint8Array(hkdfSync('sha256', secret, '', purpose, 32));
}

export interface NewSessionInput {
  readonly identity: SignedInIdentity;
  /** The ID token's `roles` claim values. */
  readonly appRoles: readonly string[];
  readonly settings: Settings;
  readonly now: Date;
}

export function newConsoleSession(input: NewSessionInput): ConsoleSession {
  const { identity } = input;
  return {
    userId: identity.userId,
    name: identity.name ?? identity.preferredUsername ?? identity.userId,
    userPrincipalName: identity.preferredUsername ?? identity.email ?? '',
    admin: isConsoleAdmin(input.appRoles, input.settings.access),
    sessionId: randomBytes(24).toString('base64url'),
    expiresAt: input.now.getTime() + CONSOLE_SESSION_LIFETIME_SECONDS * 1000,
  };
}

export async function sealConsoleSession(
  session: ConsoleSession,
  settings: Settings,
): Promise<string> {
  return new SignJWT({
    name: session.name,
    upn: session.userPrincipalName,
    adm: session.admin,
    sid: session.sessionId,
  })
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(session.userId)
    .setExpirationTime(Math.floor(session.expiresAt / 1000))
    .sign(derivedKey(settings, SESSION_KEY_PURPOSE));
}

/** The session in the cookie, or undefined when there is none that this service issued and is current. */
export async function openConsoleSession(
  value: string | undefined,
  settings: Settings,
  now: Date,
): Promise<ConsoleSession | undefined> {
  if (value === undefined || value === '') return undefined;
  const key = derivedKey(settings, SESSION_KEY_PURPOSE);
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(value, key, {
      algorithms: [ALGORITHM],
      currentDate: now,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch {
    return undefined;
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) return undefined;
  const { sub, name, upn, adm, sid, exp } = claims.data;
  return {
    userId: sub,
    name,
    userPrincipalName: upn,
    admin: adm,
    sessionId: sid,
    expiresAt: exp * 1000,
  };
}

export function consoleSessionCookie(value: string): ResponseCookie {
  return {
    name: CONSOLE_SESSION_COOKIE_NAME,
    value,
    path: CONSOLE_PATH,
    maxAge: CONSOLE_SESSION_LIFETIME_SECONDS,
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
  };
}

export function clearedConsoleSessionCookie(): ResponseCookie {
  return { ...consoleSessionCookie(''), maxAge: 0 };
}

/** The cookie a successful sign-in sets, so that the console finds the user signed in. */
export async function consoleSessionCookieFor(input: NewSessionInput): Promise<ResponseCookie> {
  return consoleSessionCookie(await sealConsoleSession(newConsoleSession(input), input.settings));
}
