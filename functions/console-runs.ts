import { z } from 'zod';
import { consoleQueries, runPage, runsPage } from '../shared/console/index.js';
import { SyncServiceError } from '../shared/errors.js';
import { notificationStatus } from '../shared/notifications/index.js';
import { consolePage } from './console-http.js';
import { parseInput } from './http.js';
import { httpFunction } from './registry.js';

const RUNS_SHOWN = 30;
const runParams = z.object({ runId: z.string().min(1).max(200) });

/**
 * `GET /api/console/runs` (the last runs, their chart and the change-notification state) and
 * `/api/console/runs/{runId}`.
 */
export const consoleRuns = consolePage({
  admin: true,
  async render({ request, services }) {
    if (request.params.runId === undefined || request.params.runId === '') {
      const [runs, notifications] = await Promise.all([
        services.repository.recentRuns(RUNS_SHOWN),
        notificationStatus(services.settings, services.repository.notifications),
      ]);
      return runsPage(runs, notifications);
    }
    const { runId } = parseInput(runParams, request.params, 'route');
    const found = await consoleQueries.runWithChanges(services.repository, runId);
    if (found === undefined) throw new SyncServiceError('not_found', `No run ${runId}.`);
    return runPage(found.run, found.changes, found.total);
  },
});

export const consoleRunsFunction = httpFunction({
  name: 'consoleRuns',
  route: 'console/runs/{runId?}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleRuns,
});
