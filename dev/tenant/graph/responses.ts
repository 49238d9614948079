/** Graph's answer shapes: its JSON content type, its error body, and the error for a bad query. */
import { randomUUID } from 'node:crypto';
import type { SimResponse } from '../sim-response.js';

/** Graph's error body. */
export function graphError(
  status: number,
  code: string,
  message: string,
  clientRequestId?: string,
): SimResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'request-id': requestId,
      'client-request-id': clientRequestId ?? requestId,
    },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': clientRequestId ?? requestId,
        },
      },
    },
  };
}

/** A request Graph refuses (400 unless said otherwise); the handler turns it into `graphError`. */
export class BadQuery extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function json(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    },
    body,
  };
}
