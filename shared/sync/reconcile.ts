/**
 * Reconciliation: the full pass (tenant scope) through the engine, with its bookkeeping: the
 * lease that keeps two passes apart, the run record written at the start and the end, and one
 * audit entry per change. A dry run plans and writes nothing at all, not even its run record.
 */
import { describeError, isServiceError } from '../errors.js';
import type { Services } from '../services.js';
import { createSyncEngine } from './engine.js';
import { finishedRun } from './finished-run.js';
import { holdOf } from './guard-hold.js';
import type { Plan } from './planner.js';
import { readAppAccess, type AppAccess } from './entra-roles.js';
import { fansOut, startFanOut } from './fan-out.js';
import {
  FULL_PASS_LEASE_MS,
  newRunId,
  type RunRecord,
  type RunSummary,
  type RunTrigger,
} from './run-records.js';
import { summarise } from './summary.js';

/** Without the queue the pass never fans out (a caller with no queue runs it in one go). */
export type ReconcileDependencies = Pick<
  Services,
  'settings' | 'repository' | 'clock' | 'createDirectory'
> &
  Partial<Pick<Services, 'groupSyncQueue'>>;

export interface ReconcileOptions {
  readonly trigger: RunTrigger;
  readonly dryRun?: boolean;
  /** Overrides MAX_MEMBERSHIP_REMOVALS_PER_RUN for this run (how an operator releases a hold). */
  readonly maxMembershipRemovals?: number;
  readonly allowEmptyAssignments?: boolean;
  readonly onProgress?: (groupsDone: number, groupsTotal: number) => void;
}

export interface ReconcileResult {
  readonly record: RunRecord;
  readonly plan: Plan | undefined;
}

function emptySummary(graphRequests: number): RunSummary {
  return { ...summarise([], []), groups: 0, incompleteGroups: 0, graphRequests, durationMs: 0 };
}

export async function reconcile(
  dependencies: ReconcileDependencies,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const { settings, repository, clock } = dependencies;
  const dryRun = options.dryRun === true;
  const startedAt = clock();
  const runId = newRunId(startedAt);
  const directory = dependencies.createDirectory();
  const base = {
    runId,
    trigger: options.trigger,
    startedAt: startedAt.toISOString(),
    held: [],
    incompleteGroups: [],
    allowEmptyAssignments: options.allowEmptyAssignments === true ? true : undefined,
  } satisfies Partial<RunRecord>;

  const lease = dryRun
    ? undefined
    : await repository.acquireLease(runId, startedAt, FULL_PASS_LEASE_MS);
  // A fanned-out pass keeps the lease until its last share finishes it.
  let handedOver = false;
  try {
    if (!dryRun) await repository.writeRun({ ...base, outcome: 'running' });

    let listed: AppAccess | undefined;
    const queue = dependencies.groupSyncQueue;
    if (!dryRun && queue !== undefined) {
      listed = await readAppAccess(directory, { maxAgeSeconds: 0 });
      const groupIds = listed.assignments.groups.map((group) => group.id.toLowerCase());
      if (fansOut(settings, groupIds.length)) {
        const record = await startFanOut(
          { settings, repository, groupSyncQueue: queue },
          {
            runId,
            trigger: options.trigger,
            startedAt,
            groupIds,
            maxMembershipRemovals:
              options.maxMembershipRemovals ?? settings.sync.maxMembershipRemovalsPerRun,
            graphRequests: directory.requestCount,
          },
        );
        handedOver = true;
        return { record, plan: undefined };
      }
    }

    const engine = createSyncEngine({ repository, directory, clock, settings });
    const result = await engine.sync({ kind: 'tenant' }, options.trigger, {
      dryRun,
      maxMembershipRemovals: options.maxMembershipRemovals,
      allowEmptyAssignments: options.allowEmptyAssignments,
      onProgress: options.onProgress,
      listed,
      // Reading a large tenant under throttling can take long: write only while still holding.
      beforeWrite: lease && (() => lease.renew(clock())),
    });
    const { plan } = result;
    const record: RunRecord = {
      ...finishedRun(
        result,
        { runId, trigger: options.trigger, startedAt },
        clock,
        directory.requestCount,
      ),
      allowEmptyAssignments: base.allowEmptyAssignments,
    };
    if (!dryRun) {
      await repository.writeAudit(runId, [
        ...result.outcomes,
        ...plan.held.map((operation) => ({ operation, outcome: 'held' })),
      ]);
      // A partial read holds what it held; one that saw everything may also release the hold.
      await repository.writeHold(holdOf(runId, plan.held));
      await repository.writeRun(record);
    }
    return { record, plan };
  } catch (error) {
    const record: RunRecord = {
      ...base,
      endedAt: clock().toISOString(),
      outcome: 'failed',
      summary: emptySummary(directory.requestCount),
      error: {
        code: isServiceError(error) ? error.code : 'internal',
        message: describeError(error),
      },
    };
    if (!dryRun) await repository.writeRun(record).catch(() => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
      runRecord: record,
    });
  } finally {
    if (!handedOver) await lease?.release().catch(() => undefined);
  }
}
