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
import { newRunId, type RunRecord, type RunSummary, type RunTrigger } from './run-records.js';
import { summarise } from './summary.js';

export type ReconcileDependencies = Pick<
  Services,
  'settings' | 'repository' | 'clock' | 'createDirectory'
>;

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

/** Longer than any run should take; a run that dies leaves a lease that expires by itself. */
const LEASE_DURATION_MS = 30 * 60 * 1000;

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
    : await repository.acquireLease(runId, startedAt, LEASE_DURATION_MS);
  try {
    if (!dryRun) await repository.writeRun({ ...base, outcome: 'running' });

    const engine = createSyncEngine({ repository, directory, clock, settings });
    const result = await engine.sync({ kind: 'tenant' }, options.trigger, {
      dryRun,
      maxMembershipRemovals: options.maxMembershipRemovals,
      allowEmptyAssignments: options.allowEmptyAssignments,
      onProgress: options.onProgress,
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
    await lease?.release().catch(() => undefined);
  }
}
