/**
 * The service's own bookkeeping of full passes, as the domain sees it: one run record per
 * reconciliation and what it held. The store keeps them (`SyncRuns`, `SyncAudit`, `SyncState`,
 * documented in docs/schema.md).
 */
import { randomBytes } from 'node:crypto';
import { teamOf, userOf, type Operation } from './operations.js';
import type { SyncSummary } from './summary.js';

/**
 * `delta`: a full pass a delta round fell back to, or a groups sync of a delta round.
 * `notification`: a group sync from the `group-sync` queue, or the catch-up pass it asked for.
 */
export type RunTrigger = 'timer' | 'cli' | 'http' | 'delta' | 'notification';
export type RunOutcome = 'running' | 'succeeded' | 'held' | 'partial' | 'failed';

export interface RunSummary extends SyncSummary {
  groups: number;
  incompleteGroups: number;
  graphRequests: number;
  durationMs: number;
}

/** Every field of a run summary, in the order the run log stores them. */
export const RUN_SUMMARY_FIELDS: readonly (keyof RunSummary)[] = [
  'groups',
  'teamsCreated',
  'teamsRenamed',
  'teamsArchived',
  'teamsRestored',
  'teamsHeld',
  'usersCreated',
  'usersUpdated',
  'membershipsAdded',
  'membershipsRemoved',
  'membershipsRepaired',
  'membershipsHeld',
  'incompleteGroups',
  'conflicts',
  'failedWrites',
  'graphRequests',
  'tableWrites',
  'durationMs',
];

export interface HeldChange {
  readonly kind: string;
  readonly teamId?: string | undefined;
  readonly userId?: string | undefined;
  readonly reason: string;
}

export interface IncompleteGroup {
  readonly groupId: string;
  readonly reason: string;
}

export interface RunRecord {
  /** `<startedAt ISO 8601>-<6 hex>`: unique, and sorted by start. */
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: string;
  readonly endedAt?: string | undefined;
  readonly outcome: RunOutcome;
  readonly summary?: RunSummary | undefined;
  readonly holdReason?: string | undefined;
  readonly held: readonly HeldChange[];
  readonly incompleteGroups: readonly IncompleteGroup[];
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /**
   * The operator consented to archiving every synced team in this run
   * (`--allow-empty-assignments`): a release of its hold repeats the consent with the removals.
   */
  readonly allowEmptyAssignments?: boolean | undefined;
}

/**
 * The full pass's lease: longer than any run should take, so a run that dies leaves a lease that
 * expires by itself. A fanned-out pass's shares renew it as they write.
 */
export const FULL_PASS_LEASE_MS = 30 * 60 * 1000;

export function newRunId(startedAt: Date): string {
  return `${startedAt.toISOString()}-${randomBytes(3).toString('hex')}`;
}

export function heldChange(operation: Operation): HeldChange {
  return {
    kind: operation.kind,
    teamId: teamOf(operation),
    userId: userOf(operation),
    reason: operation.reason,
  };
}
