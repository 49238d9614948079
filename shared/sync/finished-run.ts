/** The run record of a sync that finished, from its result: outcome, summary, holds. */
import type { Clock } from '../services.js';
import type { SyncResult } from './engine.js';
import { heldChange, type RunRecord, type RunTrigger } from './run-records.js';

export interface RunStart {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: Date;
}

export function finishedRun(
  result: SyncResult,
  run: RunStart,
  clock: Clock,
  graphRequests: number,
): RunRecord {
  const { plan, summary, incompleteGroups } = result;
  return {
    runId: run.runId,
    trigger: run.trigger,
    startedAt: run.startedAt.toISOString(),
    endedAt: clock().toISOString(),
    outcome:
      summary.failedWrites > 0 || incompleteGroups.length > 0 || !result.settled
        ? 'partial'
        : plan.held.length > 0
          ? 'held'
          : 'succeeded',
    summary: {
      ...summary,
      groups: result.groups,
      incompleteGroups: incompleteGroups.length,
      graphRequests,
      durationMs: clock().getTime() - run.startedAt.getTime(),
    },
    holdReason: plan.holdReason,
    held: plan.held.map(heldChange),
    incompleteGroups,
  };
}
