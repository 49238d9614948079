/**
 * The HTTP edge: the one place where error codes become statuses, and where every error
 * becomes a JSON body `{ error, message }` without a stack trace.
 */
import { randomUUID } from 'node:crypto';
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { type ErrorCode, SyncServiceError } from '../shared/errors.js';
import { STRICT_TRANSPORT_SECURITY } from '../shared/security-headers.js';
import { printable } from '../shared/printable.js';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  config_invalid: 503,
  request_invalid: 400,
  request_too_large: 413,
  not_found: 404,
  forbidden: 403,
  token_missing: 401,
  token_malformed: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  token_signature: 401,
  token_algorithm: 401,
  token_issuer: 401,
  token_audience: 401,
  token_tenant: 401,
  token_claim_missing: 401,
  token_nonce: 401,
  token_lifetime: 401,
  token_client: 401,
  keys_unavailable: 503,
  login_state_invalid: 400,
  // The code was stale, replayed or for another address: the browser's doing, not Entra's.
  login_code_invalid: 400,
  login_denied: 403,
  login_failed: 502,
  redirect_not_allowed: 400,
  graph_unavailable: 503,
  graph_throttled: 503,
  graph_incomplete: 503,
  graph_denied: 502,
  store_conflict: 409,
  store_exists: 409,
  store_not_found: 404,
  store_invalid_key: 400,
  store_unavailable: 503,
  sync_refused: 409,
  not_assigned: 403,
};

/**
 * What a 5xx tells the caller, who is any tenant user: what happened, in words. The detail
 * (key-set URL, SDK and Graph messages) names internals, so it goes to the log only, under the
 * correlation id the answer carries.
 */
const SERVER_SIDE_MESSAGES: Partial<Record<ErrorCode, string>> = {
  config_invalid: 'The service is not configured correctly; its log says which setting.',
  keys_unavailable: "Entra ID's signing keys could not be fetched; try again in a moment.",
  login_failed: 'Entra ID did not complete the sign-in; try again in a moment.',
  graph_unavailable: 'Microsoft Graph is not answering; try again in a moment.',
  graph_throttled: 'Microsoft Graph is throttling this service; try again in a moment.',
  graph_incomplete: 'Microsoft Graph did not return everything needed; try again in a moment.',
  graph_denied: 'Microsoft Graph refused this service access; its administrator can see why.',
  store_unavailable: 'Table Storage is not answering; try again in a moment.',
};
const SERVER_SIDE_FALLBACK = 'The service could not complete the request; try again in a moment.';

export function statusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    status,
    jsonBody: body,
    headers: {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': STRICT_TRANSPORT_SECURITY,
      ...headers,
    },
  } satisfies HttpResponseInit;
}

/** A token problem answers as RFC 6750 asks: a WWW-Authenticate challenge naming it. */
function challengeHeaders(error: SyncServiceError): Record<string, string> {
  if (statusFor(error.code) !== 401) return {};
  const description = error.message.replaceAll('"', "'");
  const kind = error.code === 'token_missing' ? '' : `, error="invalid_token"`;
  return {
    'www-authenticate': `Bearer realm="mishikallm-entra-sync"${kind}, error_description="${description}"`,
  };
}

export function errorResponse(error: unknown, context?: InvocationContext): HttpResponseInit {
  const correlationId = context?.invocationId ?? randomUUID();
  if (error instanceof SyncServiceError) {
    const status = statusFor(error.code);
    if (status >= 500) {
      context?.error(`${error.code} [${correlationId}]: ${printable(error.message)}`);
      const message = SERVER_SIDE_MESSAGES[error.code] ?? SERVER_SIDE_FALLBACK;
      return jsonResponse(status, { error: error.code, message, correlationId });
    }
    context?.warn(`${error.code} [${correlationId}]: ${printable(error.message)}`);
    return jsonResponse(
      status,
      { error: error.code, message: error.message, correlationId },
      challengeHeaders(error),
    );
  }
  context?.error(`unexpected failure [${correlationId}]`, error);
  return jsonResponse(500, {
    error: 'internal',
    message: 'An unexpected error occurred.',
    correlationId,
  });
}

/** Parses input with a zod schema, turning a mismatch into a `request_invalid` error. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.join('.') || what}: ${issue.message}`)
    .join('; ');
  throw new SyncServiceError('request_invalid', `Invalid ${what}: ${problems}`);
}
