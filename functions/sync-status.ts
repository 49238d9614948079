import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { notificationStatus } from '../shared/notifications/index.js';
import { getServices } from '../shared/services.js';
import { SyncServiceError } from '../shared/errors.js';
import { errorResponse, jsonResponse, parseInput } from './http.js';
import { httpFunction } from './registry.js';

const statusQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  /** One run with its audit entries instead of the list. */
  runId: z.string().min(1).max(200).optional(),
});

/** The cursors (without their links, which are bearer-like) and the last eventful round. */
async function deltaStatus() {
  const { repository } = getServices();
  const [cursors, lastRound] = await Promise.all([
    repository.deltaCursors(),
    repository.lastDeltaRound(),
  ]);
  return {
    cursors: cursors.map(({ cursorId, groupIds, linkIssuedAt }) => ({
      cursorId,
      groups: groupIds.length,
      linkIssuedAt,
    })),
    lastRound,
  };
}

export async function syncStatus(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { limit, runId } = parseInput(statusQuery, Object.fromEntries(request.query), 'query');
    const { repository, settings } = getServices();
    if (runId !== undefined) {
      const run = await repository.findRun(runId);
      if (run === undefined) throw new SyncServiceError('not_found', `No run ${runId}`);
      const audit = await repository.runAudit(runId);
      return jsonResponse(200, { run, audit });
    }
    const [runs, delta, notifications] = await Promise.all([
      repository.recentRuns(limit),
      deltaStatus(),
      notificationStatus(settings, repository.notifications),
    ]);
    return jsonResponse(200, { runs, delta, notifications });
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
