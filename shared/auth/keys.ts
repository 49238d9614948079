/**
 * The tenant's signing keys, fetched from its JWKS endpoint and cached by jose. An unknown `kid`
 * (a key rotation, or a forged token) triggers a refetch only once per cooldown, so a flood of
 * bad tokens cannot become a flood of key fetches. jose fetches on every call while it holds
 * no keys (a cold start whose first fetch failed, or an endpoint that keeps failing), so a
 * failed fetch is not retried for a short backoff: the flood stays bounded then too.
 *
 * When a refetch fails, the keys last fetched keep answering (as Microsoft.IdentityModel's
 * "last known good" configuration does), for a day at most: an outage of the key endpoint
 * neither refuses the tenant's real tokens nor turns forged ones into 5xx answers. Only with
 * no keys at all (never fetched, or older than that) is the answer `keys_unavailable`.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { Settings } from '../config/settings.js';

export interface EntraKeySetOptions {
  /** The shortest time between two fetches caused by an unknown `kid`. Default 1 minute. */
  readonly cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again. Default 1 hour. */
  readonly cacheMaxAgeMs?: number;
  /** How long one fetch may take. Default 5 seconds. */
  readonly timeoutMs?: number;
  /** How long a failed fetch is answered from its failure, without fetching. Default 5 s. */
  readonly failureBackoffMs?: number;
  /** How long the last fetched keys answer while fetching fails. Default 24 hours. */
  readonly lastKnownGoodMs?: number;
}

export type EntraKeySet = JWTVerifyGetKey & {
  /** Where the keys come from (for messages; carries no secret). */
  readonly jwksUrl: string;
};

export const DEFAULT_KEYS_COOLDOWN_MS = 60 * 1000;
// Entra publishes a new key weeks before signing with it, so an hour-old set almost always has
// it; the hour bounds how long a key Entra withdrew in an emergency is still trusted.
export const DEFAULT_KEYS_MAX_AGE_MS = 60 * 60 * 1000;
export const DEFAULT_KEYS_TIMEOUT_MS = 5000;
export const DEFAULT_KEYS_FAILURE_BACKOFF_MS = 5000;
// A token lives at most a day (token.ts): a set older than that has outlived every token
// signed while it was current.
export const DEFAULT_KEYS_LAST_KNOWN_GOOD_MS = 24 * 60 * 60 * 1000;

/** Errors of the key lookup itself; anything else came from fetching the key set. */
function isLookupError(error: unknown): boolean {
  return (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSENotSupported ||
    error instanceof joseErrors.JOSEAlgNotAllowed
  );
}

export function jwksUrl(settings: Settings): string {
  return `${settings.entra.authorityHost}/${settings.entra.tenantId}/discovery/v2.0/keys`;
}

// One cache per settings object: the process reads its settings once, so every handler shares
// one key set and one cooldown.
const keySets = new WeakMap<Settings, EntraKeySet>();

export function createEntraKeySet(
  settings: Settings,
  options: EntraKeySetOptions = {},
): EntraKeySet {
  const custom = Object.keys(options).length > 0;
  if (!custom) {
    const shared = keySets.get(settings);
    if (shared !== undefined) return shared;
  }
  const url = jwksUrl(settings);
  const backoffMs = options.failureBackoffMs ?? DEFAULT_KEYS_FAILURE_BACKOFF_MS;
  const lastKnownGoodMs = options.lastKnownGoodMs ?? DEFAULT_KEYS_LAST_KNOWN_GOOD_MS;
  let lastFailure: { readonly at: number; readonly error: unknown } | undefined;
  // When the endpoint last answered 200, and whether jose's set has been copied since.
  let fetchedAt: number | undefined;
  let fetchedSinceCopy = false;
  let lastGoodKeys: JWTVerifyGetKey | undefined;

  const fetchWithBackoff = async (input: string, init: RequestInit): Promise<Response> => {
    if (lastFailure !== undefined && Date.now() - lastFailure.at < backoffMs) {
      throw lastFailure.error;
    }
    try {
      const response = await fetch(input, init);
      if (response.status === 200) {
        fetchedAt = Date.now();
        fetchedSinceCopy = true;
      } else {
        lastFailure = { at: Date.now(), error: new Error(`HTTP ${response.status}`) };
      }
      return response;
    } catch (error) {
      lastFailure = { at: Date.now(), error };
      throw error;
    }
  };
  const remote = createRemoteJWKSet(new URL(url), {
    cooldownDuration: options.cooldownMs ?? DEFAULT_KEYS_COOLDOWN_MS,
    cacheMaxAge: options.cacheMaxAgeMs ?? DEFAULT_KEYS_MAX_AGE_MS,
    timeoutDuration: options.timeoutMs ?? DEFAULT_KEYS_TIMEOUT_MS,
    [customFetch]: fetchWithBackoff,
  });

  const keepLastGood = (): void => {
    const keys: JSONWebKeySet | undefined = fetchedSinceCopy ? remote.jwks() : undefined;
    if (keys === undefined) return;
    lastGoodKeys = createLocalJWKSet(keys);
    fetchedSinceCopy = false;
  };

  const keySet: EntraKeySet = Object.assign(
    async (header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1]) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (isLookupError(error)) throw error;
        const current = fetchedAt !== undefined && Date.now() - fetchedAt < lastKnownGoodMs;
        if (!current || lastGoodKeys === undefined) throw error;
        return await lastGoodKeys(header, token);
      } finally {
        keepLastGood();
      }
    },
    { jwksUrl: url },
  );
  if (!custom) keySets.set(settings, keySet);
  return keySet;
}
