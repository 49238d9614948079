/**
 * The interactive sign-in: authorization code flow with PKCE (S256) against the tenant's v2
 * endpoints. `beginLogin` builds the authorize URL and the cookie that remembers the attempt;
 * `completeLogin` checks Entra's answer against that cookie, redeems the code, validates the ID
 * token (with the nonce) and hands the identity to the sync.
 *
 * response_mode is `query`: the cookie is SameSite=Lax, which browsers send on a cross-site
 * top-level GET but not on the cross-site POST that `form_post` makes, so form_post would
 * need SameSite=None. The code in the query is single-use, bound to the PKCE verifier and
 * redeemable only with this app's client credential.
 */
import { printable } from '../printable.js';
import { createHash, randomBytes } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { SignedInIdentity } from '../sync/identity.js';
import { redeemAuthorizationCode } from './code-redemption.js';
import type { EntraKeySet } from './keys.js';
import {
  LOGIN_COOKIE_LIFETIME_SECONDS,
  loginCookie,
  openLoginSession,
  sealLoginSession,
  type LoginSession,
  type ResponseCookie,
} from './login-cookie.js';
import { isAllowedRedirect, loginPathReturningTo, resolveReturnTo } from './redirects.js';
import { validateEntraToken } from './token.js';

export const CALLBACK_PATH = '/api/sso/callback';
// offline_access is not asked for: the service needs the ID token once and keeps no tokens.
export const LOGIN_SCOPES = 'openid profile email';

export function authorizeEndpoint(settings: Settings): string {
  return `${settings.entra.authorityHost}/${settings.entra.tenantId}/oauth2/v2.0/authorize`;
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function codeChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * The redirect_uri for a request: this app's own origin as the request reached it. Behind a
 * TLS-terminating front end that says so (X-Forwarded-Proto: https), the scheme is https; Entra
 * accepts only the redirect URIs registered on the app, so a spoofed header gains nothing.
 */
export function callbackUrlFor(requestUrl: string, forwardedProto: string | null): string {
  const url = new URL(requestUrl);
  const proto = forwardedProto?.split(',')[0]?.trim().toLowerCase();
  if (proto === 'https') url.protocol = 'https:';
  return `${url.origin}${CALLBACK_PATH}`;
}

export interface LoginStart {
  readonly location: string;
  readonly cookie: ResponseCookie;
}

export interface BeginLoginInput {
  readonly settings: Settings;
  readonly requestUrl: string;
  readonly forwardedProto: string | null;
  /** The `?redirect=` the sign-in was started with. */
  readonly redirect: string | undefined;
  readonly now: Date;
}

export async function beginLogin(input: BeginLoginInput): Promise<LoginStart> {
  const { settings } = input;
  const session: LoginSession = {
    state: randomToken(),
    nonce: randomToken(),
    codeVerifier: randomToken(),
    redirectUri: callbackUrlFor(input.requestUrl, input.forwardedProto),
    returnTo: resolveReturnTo(input.redirect, settings),
    expiresAt: input.now.getTime() + LOGIN_COOKIE_LIFETIME_SECONDS * 1000,
  };
  const cookie = loginCookie(await sealLoginSession(session, settings));
  const authorize = new URL(authorizeEndpoint(settings));
  authorize.search = new URLSearchParams({
    client_id: settings.entra.clientId,
    response_type: 'code',
    response_mode: 'query',
    redirect_uri: session.redirectUri,
    scope: LOGIN_SCOPES,
    state: session.state,
    nonce: session.nonce,
    code_challenge: codeChallengeOf(session.codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  return { location: authorize.toString(), cookie };
}

/** What Entra sent back to the callback, from the query or a form body. */
export interface CallbackParameters {
  readonly code?: string | undefined;
  readonly state?: string | undefined;
  readonly error?: string | undefined;
  readonly error_description?: string | undefined;
}

export interface CompleteLoginInput<Result> {
  readonly settings: Settings;
  readonly parameters: CallbackParameters;
  readonly cookieValue: string | undefined;
  readonly now: Date;
  readonly sync: (identity: SignedInIdentity) => Promise<Result>;
  readonly keySet?: EntraKeySet;
}

export interface LoginCompletion<Result> {
  readonly location: string;
  readonly identity: SignedInIdentity;
  readonly result: Result;
}

// Errors that mean the user (or their admin's policy) said no, as opposed to a broken request.
const DENIALS = new Set([
  'access_denied',
  'consent_required',
  'interaction_required',
  'login_required',
  'account_selection_required',
]);

function entraError(error: string, description: string | undefined): SyncServiceError {
  const said = (description ?? '').split(/\s+Trace ID:/)[0]?.trim() ?? '';
  const shownError = error.replace(/[^\w.-]/g, '').slice(0, 60);
  // Anyone can put any error_description on the callback URL: it is logged, so printable only.
  const detail = said === '' ? '' : ` ${printable(said, 300)}`;
  if (DENIALS.has(error)) {
    return new SyncServiceError(
      'login_denied',
      `Microsoft Entra ID did not sign you in (${shownError}).${detail}`,
    );
  }
  return new SyncServiceError(
    'login_failed',
    `Microsoft Entra ID refused the sign-in request (${shownError}).${detail}`,
  );
}

function checkState(session: LoginSession, state: string | undefined): void {
  if (state === undefined || state === '') {
    throw new SyncServiceError(
      'login_state_invalid',
      'The sign-in answer has no state parameter. Start the sign-in again.',
    );
  }
  const expected = Buffer.from(session.state);
  const given = Buffer.from(state);
  if (given.length !== expected.length || !given.equals(expected)) {
    throw new SyncServiceError(
      'login_state_invalid',
      'The sign-in answer does not belong to the sign-in started in this browser (state mismatch). Start the sign-in again.',
    );
  }
}

/**
 * Where "Sign in again" should lead after a failed callback: a new sign-in that returns to the
 * page the failed one was for, when the attempt's cookie still says which (else a plain one).
 */
export async function signInAgainPath(
  cookieValue: string | undefined,
  settings: Settings,
  now: Date,
): Promise<string> {
  try {
    const session = await openLoginSession(cookieValue, settings, now);
    return loginPathReturningTo(session.returnTo, settings);
  } catch {
    return loginPathReturningTo(undefined, settings);
  }
}

/**
 * Completes a sign-in. The caller clears the cookie whatever happens (`clearedLoginCookie`):
 * an attempt is used at most once.
 */
export async function completeLogin<Result>(
  input: CompleteLoginInput<Result>,
): Promise<LoginCompletion<Result>> {
  const { settings, parameters } = input;
  // Entra's answer, error or code, is believed only once it is known to answer our request.
  const session = await openLoginSession(input.cookieValue, settings, input.now);
  checkState(session, parameters.state);
  if (parameters.error !== undefined && parameters.error !== '') {
    throw entraError(parameters.error, parameters.error_description);
  }
  if (parameters.code === undefined || parameters.code === '') {
    // Entra always sends one or the other: a request without either was not made by Entra
    // (an ID token or anything else in its place is never taken from the request), so it is
    // the request's fault (4xx), not a failure upstream.
    throw new SyncServiceError(
      'login_code_invalid',
      'The sign-in answer has neither a code nor an error. Start the sign-in again.',
    );
  }
  if (!isAllowedRedirect(session.returnTo, settings)) {
    throw new SyncServiceError(
      'redirect_not_allowed',
      'The page to return to is no longer allowed by the configuration.',
    );
  }
  const idToken = await redeemAuthorizationCode({
    settings,
    code: parameters.code,
    codeVerifier: session.codeVerifier,
    nonce: session.nonce,
    redirectUri: session.redirectUri,
    scopes: LOGIN_SCOPES.split(' '),
  });
  const validated = await validateEntraToken(idToken, {
    settings,
    kind: 'id_token',
    expectedNonce: session.nonce,
    clock: () => input.now,
    ...(input.keySet === undefined ? {} : { keySet: input.keySet }),
  });
  const result = await input.sync(validated.identity);
  return { location: session.returnTo, identity: validated.identity, result };
}
