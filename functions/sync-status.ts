import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../shared/services.js';
import { recentRuns } from '../shared/sync/run-records.js';
import { errorResponse, jsonResponse, parseInput } from './http.js';
import { httpFunction } from './registry.js';

const statusQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export async function syncStatus(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { limit } = parseInput(statusQuery, Object.fromEntries(request.query), 'query');
    const runs = await recentRuns(getServices().tables, limit);
    return jsonResponse(200, { runs });
  } catch (error) {
    return errorResponse(error, context);
  }
}

export const syncStatusFunction = httpFunction({
  name: 'syncStatus',
  route: 'sync/status',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncStatus,
});
