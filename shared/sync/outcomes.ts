import type { SyncServiceError } from '../errors.js';
import type { Operation } from './operations.js';

/**
 * What became of an operation. `already-done`: every write found the work done by someone else
 * (a concurrent sign-in created the team, a removal found the row gone), so this sync did not
 * make the change. `planned`: a dry run, which writes nothing.
 */
export type OutcomeKind = 'applied' | 'already-done' | 'conflict' | 'failed' | 'planned';

export interface WriteCounts {
  /** Entities written. A write two operations share (a rename and a restore) counts once. */
  readonly applied: number;
  /** Writes skipped because the row changed since it was read (stale ETag). */
  readonly conflicts: number;
  /** Writes that failed for any other reason. */
  readonly failed: number;
}

export interface OperationOutcome {
  readonly operation: Operation;
  readonly outcome: OutcomeKind;
  readonly writes: WriteCounts;
  /** The first write error, for `failed` and `conflict`. */
  readonly error?: SyncServiceError | undefined;
}

export const NO_WRITES: WriteCounts = { applied: 0, conflicts: 0, failed: 0 };

/** Whether the change counts as made: written, or (in a dry run) what would be written. */
export function madeChange(outcome: OperationOutcome): boolean {
  return outcome.outcome === 'applied' || outcome.outcome === 'planned';
}
