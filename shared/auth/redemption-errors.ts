/**
 * MSAL's failures as the service's coded errors. The message names what happened by codes only
 * (the OAuth error, Entra's AADSTS number, MSAL's error code), never Entra's description or a
 * secret; the library's error stays reachable as `cause` for the logs.
 */
import {
  AuthError,
  ClientConfigurationError,
  InteractionRequiredAuthError,
  ServerError,
} from '@azure/msal-node';
import { SyncServiceError } from '../errors.js';

/** OAuth and MSAL error codes are `[a-z_]` words; anything else is not shown. */
function shownCode(code: string): string {
  const word = code.replace(/[^\w.-]/g, '').slice(0, 60);
  return word === '' ? 'unknown' : word;
}

function entraNumber(error: ServerError | InteractionRequiredAuthError): string {
  // Typed as a string, but MSAL passes Entra's `error_codes[0]` through as the number it is.
  const said: unknown = error.errorNo;
  const number = typeof said === 'number' || typeof said === 'string' ? `${said}` : '';
  if (!/^\d{1,10}$/.test(number)) return '';
  return `, AADSTS${number}`;
}

function refusedByTenant(error: ServerError | InteractionRequiredAuthError): SyncServiceError {
  const code = shownCode(error.errorCode);
  const codes = `${code}${entraNumber(error)}`;
  // invalid_grant: the code was already used, has expired, or was issued for another
  // redirect_uri. A new sign-in fixes it; nothing is wrong with Entra or with this app.
  if (code === 'invalid_grant') {
    return new SyncServiceError(
      'login_code_invalid',
      `This sign-in link has expired or was already used (${codes}). Sign in again.`,
      { cause: error, upstreamCode: code },
    );
  }
  const message =
    code === 'invalid_client'
      ? `The tenant refused this app's credential (${codes}): check ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERTIFICATE_PATH against the app registration.`
      : `The tenant refused to redeem the sign-in code (${codes}).`;
  return new SyncServiceError('login_failed', message, { cause: error, upstreamCode: code });
}

export function redemptionError(error: unknown, tokenEndpoint: string): SyncServiceError {
  if (error instanceof SyncServiceError) return error;
  if (error instanceof ServerError || error instanceof InteractionRequiredAuthError) {
    return refusedByTenant(error);
  }
  if (error instanceof ClientConfigurationError) {
    return new SyncServiceError(
      'config_invalid',
      `The sign-in settings are not usable to redeem codes (${shownCode(error.errorCode)}).`,
      { cause: error },
    );
  }
  if (error instanceof AuthError && error.errorCode === 'nonce_mismatch') {
    return new SyncServiceError(
      'token_nonce',
      'The ID token\'s "nonce" is not the one this sign-in sent.',
      { cause: error },
    );
  }
  if (error instanceof AuthError && error.errorCode === 'network_error') {
    return new SyncServiceError(
      'login_failed',
      `The tenant's token endpoint ${tokenEndpoint} could not be reached (network_error).`,
      { cause: error },
    );
  }
  const code = error instanceof AuthError ? shownCode(error.errorCode) : 'unexpected';
  return new SyncServiceError('login_failed', `The sign-in code could not be redeemed (${code}).`, {
    cause: error,
  });
}
