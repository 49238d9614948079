/**
 * Every failure the service reports carries one of these codes. The HTTP edge maps codes to
 * statuses in one place (`functions/http.ts`); everything below it only throws.
 */
export type ErrorCode =
  // settings
  | 'config_invalid'
  // request shape
  | 'request_invalid'
  | 'request_too_large'
  | 'not_found'
  | 'forbidden'
  // tokens
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_signature'
  | 'token_algorithm'
  | 'token_issuer'
  | 'token_audience'
  | 'token_tenant'
  | 'token_claim_missing'
  | 'token_nonce'
  | 'token_lifetime'
  | 'token_client'
  | 'keys_unavailable'
  // interactive login
  | 'login_state_invalid'
  | 'login_code_invalid'
  | 'login_denied'
  | 'login_failed'
  | 'redirect_not_allowed'
  // Microsoft Graph
  | 'graph_unavailable'
  | 'graph_throttled'
  | 'graph_incomplete'
  | 'graph_denied'
  // Table Storage
  | 'store_conflict'
  | 'store_exists'
  | 'store_not_found'
  | 'store_invalid_key'
  | 'store_unavailable'
  // synchronisation
  | 'sync_refused'
  // who may be synced: SIGN_IN_USERS=assigned and the user is not assigned to the app
  | 'not_assigned';

export interface ServiceErrorOptions {
  readonly cause?: unknown;
  /**
   * The protocol error code an upstream service answered (OAuth's `invalid_grant`,
   * `invalid_client`, ...), for callers that must tell one refusal from another.
   */
  readonly upstreamCode?: string;
}

export class SyncServiceError extends Error {
  override readonly name: string = 'SyncServiceError';
  readonly code: ErrorCode;
  readonly upstreamCode: string | undefined;

  constructor(code: ErrorCode, message: string, options?: ServiceErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.upstreamCode = options?.upstreamCode;
  }
}

export function isServiceError(value: unknown, code?: ErrorCode): value is SyncServiceError {
  return value instanceof SyncServiceError && (code === undefined || value.code === code);
}

/** A message safe to show: never a stack, never a token. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
