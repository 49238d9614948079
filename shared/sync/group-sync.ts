/**
 * A `groups` sync for a trigger that is not a full pass (a change notification today): the engine
 * over those groups, no lease (ETags settle races; only full passes exclude each other), and a
 * run record with its audit entries only when the sync changed, held or missed something, so
 * quiet notifications do not bury the full passes in `GET /api/sync/status`.
 */
import type { Services } from '../services.js';
import { createSyncEngine, type SyncResult } from './engine.js';
import { finishedRun } from './finished-run.js';
import { newRunId, type RunRecord, type RunTrigger } from './run-records.js';

export type GroupSyncDependencies = Pick<
  Services,
  'settings' | 'repository' | 'clock' | 'createDirectory'
>;

export interface GroupSyncResult {
  readonly result: SyncResult;
  /** The run record, when one was written. */
  readonly record: RunRecord | undefined;
}

export async function syncGroups(
  dependencies: GroupSyncDependencies,
  groupIds: ReadonlySet<string>,
  trigger: RunTrigger,
): Promise<GroupSyncResult> {
  const { settings, repository, clock } = dependencies;
  const startedAt = clock();
  const directory = dependencies.createDirectory();
  const engine = createSyncEngine({ repository, directory, clock, settings });
  const result = await engine.sync({ kind: 'groups', groupIds }, trigger);
  const { plan, summary, incompleteGroups } = result;
  const noteworthy =
    !result.settled ||
    summary.tableWrites > 0 ||
    summary.failedWrites > 0 ||
    summary.conflicts > 0 ||
    plan.held.length > 0 ||
    incompleteGroups.length > 0;
  if (!noteworthy) return { result, record: undefined };

  const runId = newRunId(startedAt);
  const record = finishedRun(result, { runId, trigger, startedAt }, clock, directory.requestCount);
  await repository.writeAudit(runId, [
    ...result.outcomes,
    ...plan.held.map((operation) => ({ operation, outcome: 'held' as const })),
  ]);
  await repository.writeRun(record);
  return { result, record };
}
