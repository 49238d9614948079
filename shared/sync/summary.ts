/** The counts of a sync, computed once from its outcomes. */
import type { Operation, OperationKind } from './operations.js';
import { madeChange, type OperationOutcome } from './outcomes.js';

export interface SyncSummary {
  teamsCreated: number;
  teamsRenamed: number;
  teamsArchived: number;
  teamsRestored: number;
  usersCreated: number;
  usersUpdated: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  membershipsRepaired: number;
  membershipsHeld: number;
  teamsHeld: number;
  conflicts: number;
  failedWrites: number;
  tableWrites: number;
}

/**
 * The change counters say what this sync did: a change a concurrent writer made first, or one
 * that met a stale ETag or failed, is in the outcomes (and the audit log) but not counted.
 */
export function summarise(
  outcomes: readonly OperationOutcome[],
  held: readonly Operation[],
): SyncSummary {
  const made = outcomes.filter(madeChange);
  const count = (kind: OperationKind) =>
    made.filter((outcome) => outcome.operation.kind === kind).length;
  const sum = (field: 'applied' | 'conflicts' | 'failed') =>
    outcomes.reduce((total, outcome) => total + outcome.writes[field], 0);
  return {
    teamsCreated: count('team-created'),
    teamsRenamed: count('team-renamed'),
    teamsArchived: count('team-archived'),
    teamsRestored: count('team-restored'),
    usersCreated: count('user-created'),
    usersUpdated: count('user-updated'),
    membershipsAdded: count('membership-added'),
    membershipsRemoved: count('membership-removed'),
    membershipsRepaired: count('membership-repaired'),
    membershipsHeld: held.filter((operation) => operation.kind === 'membership-removed').length,
    teamsHeld: held.filter((operation) => operation.kind === 'team-archived').length,
    conflicts: sum('conflicts'),
    failedWrites: sum('failed'),
    tableWrites: sum('applied'),
  };
}
