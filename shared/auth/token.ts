/**
 * Validation of Entra ID tokens (v1 and v2 ID tokens and access tokens for this app) with jose.
 * Every rejection is a coded `SyncServiceError` whose message says what was wrong and never
 * contains the token; claim values shown in messages are trimmed to printable characters.
 */
import {
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import type { Settings } from '../config/settings.js';
import { type ErrorCode, SyncServiceError } from '../errors.js';
import type { Clock } from '../services.js';
import type { SignedInIdentity } from '../sync/identity.js';
import { createEntraKeySet, type EntraKeySet } from './keys.js';

export type TokenKind = 'id_token' | 'access_token' | 'any';

export interface ValidateTokenOptions {
  readonly settings: Settings;
  /** Default: the process's shared key set for these settings. */
  readonly keySet?: EntraKeySet;
  readonly clock?: Clock;
  /** The login flow's nonce: the token must carry exactly this `nonce`; none: not checked. */
  readonly expectedNonce?: string | undefined;
  readonly kind: TokenKind;
}

export interface ValidatedToken {
  readonly identity: SignedInIdentity;
  readonly version: '1.0' | '2.0';
  readonly issuer: string;
  readonly audience: string;
  readonly expiresAt: Date;
  readonly claims: JWTPayload;
}

export const CLOCK_TOLERANCE_SECONDS = 60;
const ACCEPTED_ALGORITHM = 'RS256';
/**
 * Entra's token lifetime policies allow at most one day (ID tokens last an hour): a token
 * that claims to last longer was not issued by Entra as configured, or was issued to outlive
 * a revocation.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/**
 * The v1 issuer (`sts` host) of each cloud's authority host. Any other authority host (the
 * simulated tenant, a test double) is taken to issue public-cloud v1 tokens, as the simulated
 * tenant does.
 */
const V1_ISSUER_HOSTS: Readonly<Record<string, string>> = {
  'https://login.microsoftonline.com': 'https://sts.windows.net',
  'https://login.chinacloudapi.cn': 'https://sts.chinacloudapi.cn',
};

export function v2Issuer(settings: Settings, tenantId = settings.entra.tenantId): string {
  return `${settings.entra.authorityHost}/${tenantId}/v2.0`;
}

export function v1Issuer(settings: Settings, tenantId = settings.entra.tenantId): string {
  const sts = V1_ISSUER_HOSTS[settings.entra.authorityHost] ?? 'https://sts.windows.net';
  return `${sts}/${tenantId}/`;
}

function reject(code: ErrorCode, message: string, cause?: unknown): SyncServiceError {
  return new SyncServiceError(code, message, cause === undefined ? undefined : { cause });
}

/** A claim value fit for an error message: printable ASCII, short, quoted. */
function shown(value: unknown): string {
  const text =
    typeof value === 'string' ? value : value === undefined ? '(none)' : JSON.stringify(value);
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return `'${printable.length > 100 ? `${printable.slice(0, 97)}...` : printable}'`;
}

/**
 * Entra tokens stay under about 12 KB (past 200 groups the claim is left out); a request
 * header this size is already unusual. Anything larger is refused before it is decoded.
 */
export const MAX_TOKEN_LENGTH = 32 * 1024;

function readHeader(token: string): ProtectedHeaderParameters {
  if (token.length > MAX_TOKEN_LENGTH) {
    throw reject(
      'token_malformed',
      `The token is ${token.length} characters long; Entra tokens are under ${MAX_TOKEN_LENGTH}.`,
    );
  }
  if (token.split('.').length !== 3) {
    throw reject('token_malformed', 'The token is not a JWT (three base64url parts).');
  }
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw reject('token_malformed', 'The token header is not valid base64url JSON.');
  }
}

function mapJoseError(error: unknown, keySet: EntraKeySet, now: Date): SyncServiceError {
  if (error instanceof joseErrors.JWTExpired) {
    const exp = typeof error.payload.exp === 'number' ? error.payload.exp : undefined;
    const when = exp === undefined ? '' : ` at ${new Date(exp * 1000).toISOString()}`;
    return reject(
      'token_expired',
      `The token expired${when} (now ${now.toISOString()}, clock skew allowed ${CLOCK_TOLERANCE_SECONDS} s).`,
    );
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') {
      const nbf = typeof error.payload.nbf === 'number' ? error.payload.nbf : undefined;
      const when = nbf === undefined ? '' : ` until ${new Date(nbf * 1000).toISOString()}`;
      return reject(
        'token_not_yet_valid',
        `The token is not valid yet${when} (now ${now.toISOString()}, clock skew allowed ${CLOCK_TOLERANCE_SECONDS} s).`,
      );
    }
    if (error.reason === 'missing') {
      return reject('token_claim_missing', `The token has no "${error.claim}" claim.`);
    }
    return reject(
      'token_malformed',
      `The token's "${error.claim}" claim is invalid (${error.reason}).`,
    );
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return reject('token_algorithm', `The token is not signed with ${ACCEPTED_ALGORITHM}.`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return reject(
      'token_signature',
      'The token is signed with a key (kid) that the tenant does not publish.',
    );
  }
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return reject(
      'token_signature',
      'The token does not name its signing key (kid) and the tenant publishes several.',
    );
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return reject('token_signature', 'The token signature does not verify.');
  }
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return reject('token_malformed', `The token is malformed: ${error.message}.`);
  }
  if (error instanceof joseErrors.JOSENotSupported) {
    return reject('token_algorithm', `The token uses something unsupported: ${error.message}.`);
  }
  if (error instanceof joseErrors.JWKSTimeout) {
    return reject(
      'keys_unavailable',
      `The tenant's signing keys could not be fetched in time from ${keySet.jwksUrl}.`,
      error,
    );
  }
  // Anything else came from fetching or reading the key set (network failure, non-200, bad JSON).
  const detail = error instanceof Error ? error.message : String(error);
  return reject(
    'keys_unavailable',
    `The tenant's signing keys could not be fetched from ${keySet.jwksUrl}: ${detail}.`,
    error,
  );
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function requireStringClaim(claims: JWTPayload, name: string, why: string): string {
  const value = stringClaim(claims, name);
  if (value === undefined) {
    throw reject('token_claim_missing', `The token has no "${name}" claim (${why}).`);
  }
  return value;
}

function checkTenant(claims: JWTPayload, settings: Settings): string {
  const tid = requireStringClaim(claims, 'tid', 'the tenant it was issued in').toLowerCase();
  if (tid !== settings.entra.tenantId) {
    throw reject(
      'token_tenant',
      `The token was issued in tenant ${shown(tid)}, not in the configured tenant ${settings.entra.tenantId}.`,
    );
  }
  return tid;
}

function checkIssuer(
  claims: JWTPayload,
  settings: Settings,
  tid: string,
): { version: '1.0' | '2.0'; issuer: string } {
  const ver = requireStringClaim(claims, 'ver', 'the token version');
  if (ver !== '1.0' && ver !== '2.0') {
    throw reject('token_malformed', `The token version ${shown(ver)} is neither 1.0 nor 2.0.`);
  }
  const expected = ver === '2.0' ? v2Issuer(settings, tid) : v1Issuer(settings, tid);
  if (claims.iss !== expected) {
    throw reject(
      'token_issuer',
      `The token's issuer ${shown(claims.iss)} is not ${expected} (expected for a v${ver} token of the configured tenant).`,
    );
  }
  return { version: ver, issuer: expected };
}

function checkAudience(claims: JWTPayload, settings: Settings, kind: TokenKind): string {
  // An ID token is always for the client id; an access token for this app names the client id
  // (v2) or the app id URI (v1, and v2 when the client asked for the URI's scope).
  const accepted =
    kind === 'id_token'
      ? [settings.entra.clientId]
      : [settings.entra.clientId, settings.entra.appIdUri];
  // Entra issues one audience per token; a list would make a token for another service ours.
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const match =
    audiences.length === 1
      ? audiences.find(
          (audience): audience is string =>
            typeof audience === 'string' && accepted.includes(audience),
        )
      : undefined;
  if (match === undefined) {
    throw reject(
      'token_audience',
      `The token's audience ${shown(claims.aud)} is not this app (expected ${accepted.join(' or ')}).`,
    );
  }
  return match;
}

/**
 * Only what Entra puts in a token header: `alg` RS256, `typ` JWT (or none). Entra never marks
 * a header parameter critical, so any `crit` is refused rather than half understood; `jku`,
 * `x5u` and an embedded `jwk` are never used to find the key (only the tenant's key set is).
 */
function checkHeader(header: ProtectedHeaderParameters): void {
  if (header.alg !== ACCEPTED_ALGORITHM) {
    throw reject(
      'token_algorithm',
      `The token is signed with ${shown(header.alg)}; only ${ACCEPTED_ALGORITHM} is accepted.`,
    );
  }
  if (header.typ !== undefined && header.typ.toUpperCase() !== 'JWT') {
    throw reject('token_malformed', `The token's type ${shown(header.typ)} is not JWT.`);
  }
  if (header.crit !== undefined) {
    throw reject(
      'token_malformed',
      `The token marks header parameters critical (${shown(header.crit)}); Entra tokens never do.`,
    );
  }
}

function checkLifetime(claims: JWTPayload, now: Date): void {
  const issuedAt = claims.iat ?? 0;
  const expires = claims.exp ?? 0;
  const limit = MAX_TOKEN_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS;
  if (expires - issuedAt > limit || expires - now.getTime() / 1000 > limit) {
    throw reject(
      'token_lifetime',
      `The token is valid until ${new Date(expires * 1000).toISOString()}, longer than the ${MAX_TOKEN_LIFETIME_SECONDS / 3600} hours Entra issues tokens for.`,
    );
  }
}

/**
 * An access token names the client app that asked for it (`azp` in v2, `appid` in v1); only
 * this app and the ones an operator trusts may present one. ID tokens carry neither: their
 * audience is this app already.
 */
function checkClientApp(claims: JWTPayload, settings: Settings): void {
  const client = claims.azp ?? claims.appid;
  if (client === undefined) return;
  const trusted = [settings.entra.clientId, ...settings.entra.allowedClientAppIds];
  if (typeof client !== 'string' || !trusted.includes(client.toLowerCase())) {
    throw reject(
      'token_client',
      `The token was issued to client app ${shown(client)}, which is not this app and not in ALLOWED_CLIENT_APP_IDS.`,
    );
  }
}

function checkIsUser(claims: JWTPayload): void {
  // An app-only token (client credentials) names a service principal, not a person: it must
  // never become a MishikaLLM user. Entra marks it with idtyp=app when that claim is configured;
  // otherwise it has no delegated scopes and its subject is its own object id.
  const appOnly =
    claims.idtyp === 'app' ||
    (claims.scp === undefined && claims.oid !== undefined && claims.sub === claims.oid);
  if (appOnly) {
    throw reject(
      'token_claim_missing',
      'The token is an app-only token: it has no signed-in user (no delegated "scp", subject = "oid").',
    );
  }
}

function checkNonce(claims: JWTPayload, expectedNonce: string | undefined): void {
  if (expectedNonce === undefined) return;
  if (claims.nonce === undefined) {
    throw reject('token_nonce', 'The token has no "nonce" claim but the sign-in sent one.');
  }
  if (claims.nonce !== expectedNonce) {
    throw reject('token_nonce', 'The token\'s "nonce" is not the one this sign-in sent.');
  }
}

function groupsClaim(claims: JWTPayload, settings: Settings): readonly string[] | undefined {
  if (!settings.entra.groupsClaimAuthoritative) return undefined;
  // Past 200 groups Entra leaves `groups` out and points to Graph instead (overage).
  if (claims._claim_names !== undefined) return undefined;
  const groups = claims.groups;
  if (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string')) {
    return undefined;
  }
  return groups.map((group) => group.toLowerCase());
}

/** Entra leaves `roles` out when the user holds no app role: absent (or unreadable) is none. */
function rolesClaim(claims: JWTPayload): readonly string[] {
  const roles = claims.roles;
  if (!Array.isArray(roles)) return [];
  return roles.filter((role): role is string => typeof role === 'string');
}

function identityOf(claims: JWTPayload, settings: Settings, tid: string): SignedInIdentity {
  const userId = requireStringClaim(claims, 'oid', 'the user object id').toLowerCase();
  const preferredUsername =
    stringClaim(claims, 'preferred_username') ??
    stringClaim(claims, 'upn') ??
    stringClaim(claims, 'unique_name');
  return {
    userId,
    tenantId: tid,
    name: stringClaim(claims, 'name'),
    preferredUsername,
    email: stringClaim(claims, 'email'),
    groupsClaim: groupsClaim(claims, settings),
    roles: rolesClaim(claims),
  };
}

/**
 * Validates an Entra token for this app: RS256 signature by a key the tenant publishes,
 * lifetime with 60 s of clock skew, then tenant, issuer, audience, user and nonce, in that
 * order, so nothing but the signature is trusted before the tenant is known to be ours.
 */
export async function validateEntraToken(
  token: string,
  options: ValidateTokenOptions,
): Promise<ValidatedToken> {
  const { settings, kind } = options;
  const keySet = options.keySet ?? createEntraKeySet(settings);
  const now = (options.clock ?? (() => new Date()))();

  checkHeader(readHeader(token));

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, keySet, {
      algorithms: [ACCEPTED_ALGORITHM],
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'iat'],
    }));
  } catch (error) {
    throw mapJoseError(error, keySet, now);
  }

  checkLifetime(claims, now);
  const tid = checkTenant(claims, settings);
  const { version, issuer } = checkIssuer(claims, settings, tid);
  const audience = checkAudience(claims, settings, kind);
  checkClientApp(claims, settings);
  const identity = identityOf(claims, settings, tid);
  checkIsUser(claims);
  checkNonce(claims, options.expectedNonce);

  return {
    identity,
    version,
    issuer,
    audience,
    expiresAt: new Date((claims.exp ?? 0) * 1000),
    claims,
  };
}
