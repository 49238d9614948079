/** Applies domain operations conditionally and says, for each, what became of it. */
import type { CurrentState } from '../sync/model.js';
import type { Operation } from '../sync/operations.js';
import type { OperationOutcome, OutcomeKind, WriteCounts } from '../sync/outcomes.js';
import { writesForAll } from './operation-writes.js';
import { rowsAfter } from './rows-after.js';
import type { Tables, WriteResult } from './tables.js';

export interface ApplyResult {
  /** One per operation, in the order given. */
  readonly outcomes: readonly OperationOutcome[];
  /** The rows that were read, as they stand after the writes. */
  readonly rows: CurrentState;
}

function outcomeOf(results: readonly WriteResult[]): OutcomeKind {
  const outcomes = results.map((result) => result.outcome);
  if (outcomes.includes('failed')) return 'failed';
  if (outcomes.includes('conflict')) return 'conflict';
  if (outcomes.length === 0 || outcomes.includes('applied')) return 'applied';
  return 'already-done';
}

function countsOf(results: readonly WriteResult[]): WriteCounts {
  const count = (outcome: WriteResult['outcome']) =>
    results.filter((result) => result.outcome === outcome).length;
  return { applied: count('applied'), conflicts: count('conflict'), failed: count('failed') };
}

export async function applyOperations(
  tables: Tables,
  operations: readonly Operation[],
  basis: CurrentState,
): Promise<ApplyResult> {
  const { writes, writesOf, owner } = writesForAll(operations);
  const { results } = await tables.applyWrites(writes);
  const resultsOf = (indexes: readonly number[]) =>
    indexes.flatMap((index) => results[index] ?? []);
  const outcomes = operations.map((operation, index): OperationOutcome => {
    const indexes = writesOf[index] ?? [];
    const mine = resultsOf(indexes);
    const owned = resultsOf(indexes.filter((write) => owner[write] === index));
    const error =
      mine.find((result) => result.outcome === 'failed')?.error ??
      mine.find((result) => result.outcome === 'conflict')?.error;
    return { operation, outcome: outcomeOf(mine), writes: countsOf(owned), error };
  });
  // Built on first use: a sign-in answers from it, a full pass never asks (at size M it would be
  // a second copy of every row read).
  let rows: CurrentState | undefined;
  return {
    outcomes,
    get rows() {
      rows ??= rowsAfter(basis, results);
      return rows;
    },
  };
}
