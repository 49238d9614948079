/**
 * What an error answer tells the caller (any tenant user, or anyone for anonymous routes): a
 * code, a message in words and a correlation id; for a failure on the service's side, never
 * the internals, which the log keeps under the same id.
 */
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { errorResponse, statusFor } from '../../functions/http.js';
import { SyncServiceError, type ErrorCode } from '../../shared/errors.js';

function answer(error: unknown) {
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: 'corr-1234',
    functionName: 'test',
    logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
  });
  const response = errorResponse(error, context);
  return { response, body: response.jsonBody as Record<string, unknown>, logs: logs.join('\n') };
}

const INTERNAL =
  'fetch failed: connect ECONNREFUSED 10.1.2.3:443 at https://login.example/tenant/discovery/v2.0/keys (RestError: x-ms-request-id 9f1)';

describe('an error answer', () => {
  it.each<ErrorCode>([
    'keys_unavailable',
    'graph_unavailable',
    'graph_throttled',
    'graph_denied',
    'store_unavailable',
    'config_invalid',
  ])('for %s names the code and a correlation id, and keeps the detail in the log', (code) => {
    const { response, body, logs } = answer(new SyncServiceError(code, INTERNAL));
    expect(response.status).toBe(statusFor(code));
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(body).toMatchObject({ error: code, correlationId: 'corr-1234' });
    expect(typeof body.message).toBe('string');
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|login\.example|RestError/);
    expect(logs).toContain('corr-1234');
    expect(logs).toContain('ECONNREFUSED 10.1.2.3');
  });

  it('for a request problem keeps its message, written for the caller', () => {
    const { response, body } = answer(
      new SyncServiceError('token_expired', 'The token expired at 2026-12-01T10:00:00.000Z.'),
    );
    expect(response.status).toBe(401);
    expect(body).toEqual({
      error: 'token_expired',
      message: 'The token expired at 2026-12-01T10:00:00.000Z.',
      correlationId: 'corr-1234',
    });
  });

  it('for an unexpected failure says nothing of it but the correlation id', () => {
    const { response, body, logs } = answer(new TypeError(`Cannot read properties: ${INTERNAL}`));
    expect(response.status).toBe(500);
    expect(body).toEqual({
      error: 'internal',
      message: 'An unexpected error occurred.',
      correlationId: 'corr-1234',
    });
    expect(logs).toContain('corr-1234');
  });
});
