import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { bearerToken, validateEntraToken } from '../shared/auth/index.js';
import { SyncServiceError } from '../shared/errors.js';
import { readLimitedText } from '../shared/request-body.js';
import { getServices } from '../shared/services.js';
import { syncSignedInUser } from '../shared/sync/index.js';
import { errorResponse, jsonResponse, parseInput } from './http.js';
import { httpFunction } from './registry.js';

/** Optional: the nonce the caller's own login flow sent, when it forwards an ID token. */
const bodySchema = z.strictObject({ nonce: z.string().min(1).max(512).optional() });

/** `{"nonce": ≤ 512 characters}` fits many times over; anyone with a token string can post. */
const MAX_BODY_BYTES = 4 * 1024;

async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const text = await readLimitedText(
    request.body,
    request.headers.get('content-length'),
    MAX_BODY_BYTES,
  );
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SyncServiceError('request_invalid', 'The request body is not JSON.');
  }
}

export async function syncMe(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const token = bearerToken(request.headers.get('authorization'));
    const services = getServices();
    const body = parseInput(bodySchema, await readJsonBody(request), 'request body');
    const { identity } = await validateEntraToken(token, {
      settings: services.settings,
      clock: services.clock,
      kind: 'any',
      expectedNonce: body.nonce,
    });
    const result = await syncSignedInUser(services, identity);
    context.info(`sync/me: synced user ${identity.userId}`);
    return jsonResponse(200, result);
  } catch (error) {
    return errorResponse(error, context);
  }
}

export const syncMeFunction = httpFunction({
  name: 'syncMe',
  route: 'sync/me',
  methods: ['POST'],
  // The bearer token is the authentication: the proxy holds the user's token, not a function key.
  authLevel: 'anonymous',
  handler: syncMe,
});
