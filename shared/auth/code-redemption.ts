/**
 * Redeems an authorization code with MSAL as a confidential client (client secret or
 * certificate, see client-credential.ts), always with the PKCE verifier, and returns the ID
 * token. MSAL compares the ID token's nonce (it refuses a nonce it was not given); the token is
 * then validated in full by our own validator (token.ts), nonce included.
 */
import type { AuthenticationResult } from '@azure/msal-node';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import { confidentialClientFor, tokenEndpoint } from './confidential-client.js';
import { redemptionError } from './redemption-errors.js';

export const TOKEN_ENDPOINT_TIMEOUT_MS = 10_000;

export interface CodeRedemption {
  readonly settings: Settings;
  readonly code: string;
  readonly codeVerifier: string;
  readonly nonce: string;
  readonly redirectUri: string;
  /** The scopes of the authorize request (MSAL adds offline_access; see library-notes.md). */
  readonly scopes: readonly string[];
}

function timeout(endpoint: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new SyncServiceError(
          'login_failed',
          `The tenant's token endpoint ${endpoint} did not answer within ${TOKEN_ENDPOINT_TIMEOUT_MS / 1000} seconds.`,
        ),
      );
    }, TOKEN_ENDPOINT_TIMEOUT_MS);
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
    },
  };
}

/** Returns the ID token. Every failure is a coded error (see redemption-errors.ts). */
export async function redeemAuthorizationCode(redemption: CodeRedemption): Promise<string> {
  const { settings } = redemption;
  const endpoint = tokenEndpoint(settings);
  let result: AuthenticationResult;
  const deadline = timeout(endpoint);
  try {
    const client = confidentialClientFor(settings);
    const redeemed = client
      .acquireTokenByCode({
        code: redemption.code,
        codeVerifier: redemption.codeVerifier,
        nonce: redemption.nonce,
        redirectUri: redemption.redirectUri,
        scopes: [...redemption.scopes],
      })
      // The service keeps no tokens, and one failed sign-in must not make MSAL refuse the
      // next ones (it remembers a 429/5xx per app and scopes for 60 s or Retry-After).
      .finally(() => {
        client.clearCache();
      });
    result = await Promise.race([redeemed, deadline.promise]);
  } catch (error) {
    throw redemptionError(error, endpoint);
  } finally {
    deadline.cancel();
  }
  if (result.idToken === '') {
    throw new SyncServiceError(
      'login_failed',
      'The tenant redeemed the sign-in code but returned no ID token (was the openid scope granted?).',
    );
  }
  return result.idToken;
}
