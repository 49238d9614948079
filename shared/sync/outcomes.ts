import type { TableWrite, WriteOutcome, WriteResult } from '../store/index.js';
import type { PlannedChange } from './planner.js';

/**
 * What became of a planned change once its writes ran. `already-done`: every write found the
 * work done by someone else (a concurrent sign-in created the team, a removal found the row
 * gone), so this run did not make that change.
 */
export type ChangeOutcome = 'applied' | 'already-done' | 'conflict' | 'failed';

export interface ChangeResult {
  readonly change: PlannedChange;
  readonly outcome: ChangeOutcome;
}

export function changeOutcomes(
  changes: readonly PlannedChange[],
  results: readonly WriteResult[],
): ChangeResult[] {
  const byWrite = new Map<TableWrite, WriteOutcome>(
    results.map((result) => [result.write, result.outcome]),
  );
  return changes.map((change) => {
    const outcomes = change.writes.map((write) => byWrite.get(write) ?? 'applied');
    let outcome: ChangeOutcome = 'already-done';
    if (outcomes.length === 0 || outcomes.includes('applied')) outcome = 'applied';
    if (outcomes.includes('conflict')) outcome = 'conflict';
    if (outcomes.includes('failed')) outcome = 'failed';
    return { change, outcome };
  });
}
