import { SyncServiceError } from '../errors.js';

/** The shape of the SDK's RestError, read structurally so no transitive package is imported. */
interface RestErrorLike {
  statusCode?: unknown;
  code?: unknown;
  details?: { errorCode?: unknown };
  response?: { headers?: { get?: (name: string) => string | undefined } };
}

/** Table Storage puts its error code in `details.errorCode` (or the header), not in `code`. */
export function tableErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const restError = error as RestErrorLike;
  if (typeof restError.details?.errorCode === 'string') return restError.details.errorCode;
  const header = restError.response?.headers?.get?.('x-ms-error-code');
  if (header !== undefined) return header;
  return typeof restError.code === 'string' ? restError.code : undefined;
}

export function tableStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const status = (error as RestErrorLike).statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function toStoreError(error: unknown, what: string): SyncServiceError {
  if (error instanceof SyncServiceError) return error;
  const status = tableStatus(error);
  const code = tableErrorCode(error);
  if (status === 412 || code === 'UpdateConditionNotSatisfied') {
    return new SyncServiceError(
      'store_conflict',
      `${what}: the entity changed since it was read (stale ETag)`,
      { cause: error },
    );
  }
  if (status === 409 && code === 'EntityAlreadyExists') {
    return new SyncServiceError('store_exists', `${what}: the entity already exists`, {
      cause: error,
    });
  }
  if (status === 404) {
    return new SyncServiceError('store_not_found', `${what}: not found`, { cause: error });
  }
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new SyncServiceError(
    'store_unavailable',
    `${what}: Table Storage failed${status === undefined ? '' : ` (${status}${code === undefined ? '' : ` ${code}`})`}: ${reason ?? ''}`,
    { cause: error },
  );
}
