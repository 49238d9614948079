/**
 * Releasing held removals from the console: the full pass again, with the mass-removal limit
 * raised to exactly the number of removals the latest run held (docs/operations.md), and a
 * record of who released them. Only the latest run's hold can be released: once a later run
 * has run, the hold it showed may no longer be what a pass would do.
 */
import { SyncServiceError } from '../errors.js';
import type { ReleaseRecord } from '../store/index.js';
import { reconcile, type ReconcileDependencies } from '../sync/reconcile.js';
import type { RunRecord } from '../sync/run-records.js';
import { heldRemovalCount } from './queries.js';
import type { ConsoleSession } from './session.js';

export interface ReleaseResult {
  readonly release: ReleaseRecord;
  readonly run: RunRecord;
}

export async function releaseHeldRemovals(
  dependencies: ReconcileDependencies,
  session: ConsoleSession,
  heldRunId: string,
): Promise<ReleaseResult> {
  if (!session.admin) {
    throw new SyncServiceError('forbidden', 'Only a console admin can release held removals.');
  }
  const { repository, clock } = dependencies;
  const [latest] = await repository.recentRuns(1);
  if (latest?.runId !== heldRunId || latest.outcome !== 'held') {
    throw new SyncServiceError(
      'sync_refused',
      'That hold is no longer the latest run: a later run has run since. Look at the held removals again before releasing.',
    );
  }
  const maxMembershipRemovals = heldRemovalCount(latest);
  // The same run as the one held: with the limit raised, and the consent it was run with.
  const { record } = await reconcile(dependencies, {
    trigger: 'http',
    maxMembershipRemovals,
    allowEmptyAssignments: latest.allowEmptyAssignments === true,
  });
  const release: ReleaseRecord = {
    releasedAt: clock().toISOString(),
    releasedBy: session.userId,
    releasedByName: session.name,
    heldRunId,
    runId: record.runId,
    maxMembershipRemovals,
    outcome: record.outcome,
  };
  await repository.writeRelease(release);
  return { release, run: record };
}
