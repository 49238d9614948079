/**
 * The one repository over Table Storage: the only code that knows the tables. It reads what a
 * scope needs, turns domain operations into entity writes and applies them conditionally,
 * keeps the run records, audit log and lease, and answers the read API's queries.
 */
import type { CurrentState, TeamRecord, UserRecord, Stored, Team, User } from '../sync/model.js';
import type { GuardHold } from '../sync/guard-hold.js';
import type { Operation } from '../sync/operations.js';
import type { RunRecord } from '../sync/run-records.js';
import type { StateQuery } from '../sync/scope.js';
import type { DeltaRoundRecord, StoredDeltaCursor } from '../sync/delta-model.js';
import { applyOperations, type ApplyResult } from './apply-operations.js';
import {
  lastDeltaRound,
  readAssignmentsCheckedAt,
  readDeltaCursors,
  writeAssignmentsCheckedAt,
  writeDeltaCursors,
  writeDeltaRound,
  type CursorChanges,
} from './delta-cursors.js';
import {
  recentReleases,
  userRowPage,
  userRows,
  writeRelease,
  type ReleaseRecord,
  type UserRowPage,
} from './console-rows.js';
import { assertValidKey } from './keys.js';
import { readHold, writeHold } from './guard-hold.js';
import { fanOutStore, type FanOutStore } from './fan-out-state.js';
import { acquireLease, heldLease, type Lease, type LeaseName } from './lease.js';
import { notificationState, type NotificationState } from './notification-state.js';
import { runAudit, writeAudit, type AuditEntry, type AuditRecord } from './audit-log.js';
import { findRun, recentRuns, writeRun } from './run-log.js';
import { readState, readTeam, readUser } from './scope-reads.js';
import { teamRowPage, teamRows, type TeamRowPage } from './team-rows.js';
import type { Tables } from './tables.js';

export type { ApplyResult } from './apply-operations.js';
export type { Lease } from './lease.js';
export type {
  NotificationCounts,
  NotificationState,
  SubscriptionRecord,
} from './notification-state.js';
export type { AuditEntry, AuditRecord } from './audit-log.js';
export type { CursorChanges } from './delta-cursors.js';
export type { LeaseName } from './lease.js';
export type { FanOutStore } from './fan-out-state.js';
export type { TeamRowPage } from './team-rows.js';
export type { ReleaseRecord, UserRowPage } from './console-rows.js';

export interface Repository {
  /** The rows a scope's plan needs. */
  read(query: StateQuery): Promise<CurrentState>;
  /**
   * Applies operations planned against `basis` (what `read` returned): each write conditional
   * on the ETag it was planned against, packed into per-partition transactions. Answers each
   * operation's outcome and the rows of `basis` as they stand after the writes.
   */
  apply(operations: readonly Operation[], basis: CurrentState): Promise<ApplyResult>;

  /** A team's partition: its row and all its members. */
  readTeam(teamId: string): Promise<TeamRecord>;
  /** A user's partition: the user row and all the user's memberships. */
  readUser(userId: string): Promise<UserRecord>;
  teamRowPage(options: {
    readonly pageSize: number;
    readonly continuationToken: string | undefined;
  }): Promise<TeamRowPage>;
  teamRows(teamIds: readonly string[]): Promise<Map<string, Stored<Team>>>;

  writeRun(record: RunRecord): Promise<void>;
  /** `part`: a share of a fanned-out pass keeps its change sets apart from the others'. */
  writeAudit(runId: string, entries: readonly AuditEntry[], part?: string): Promise<void>;
  recentRuns(limit: number): Promise<RunRecord[]>;
  findRun(runId: string): Promise<RunRecord | undefined>;
  /** A run's changes in plan order (held ones last), whichever format stored them. */
  runAudit(runId: string): Promise<AuditRecord[]>;
  /** The full pass's lease by default; `delta` keeps two delta rounds apart. */
  acquireLease(holder: string, now: Date, durationMs: number, name?: LeaseName): Promise<Lease>;
  /** The full pass's lease as `holder` took it (a fanned-out pass's shares renew and release it). */
  heldLease(holder: string, durationMs: number): Lease;
  /** A fanned-out full pass's run, shares, decision and finish. */
  readonly fanOut: FanOutStore;

  deltaCursors(): Promise<StoredDeltaCursor[]>;
  /** Conditional on the ETags read; answers entities written and stale ETags met. */
  saveDeltaCursors(
    changes: CursorChanges,
  ): Promise<{ readonly written: number; readonly conflicts: number }>;
  writeDeltaRound(record: DeltaRoundRecord): Promise<void>;
  lastDeltaRound(): Promise<DeltaRoundRecord | undefined>;
  /** When a delta round last listed the app's assignments (ISO time). */
  assignmentsCheckedAt(): Promise<string | undefined>;
  markAssignmentsChecked(at: Date): Promise<void>;
  /** Change notifications' bookkeeping in `SyncState`: the subscription, counters, group syncs. */
  readonly notifications: NotificationState;

  /** The operator console's reads and its log of released holds. */
  userRowPage(options: {
    readonly pageSize: number;
    readonly continuationToken: string | undefined;
  }): Promise<UserRowPage>;
  userRows(userIds: readonly string[]): Promise<Map<string, Stored<User>>>;
  writeRelease(release: ReleaseRecord): Promise<void>;
  recentReleases(limit: number): Promise<ReleaseRecord[]>;
  /** The removals the last full pass's guard held, if any (read by sign-ins). */
  readHold(): Promise<GuardHold | undefined>;
  /** Records what a full pass's guard held (undefined: nothing); writes only on a change. */
  writeHold(hold: GuardHold | undefined): Promise<void>;

  /** Reads one page of each contract table (creating them if needed); answers their names. */
  probe(): Promise<readonly string[]>;
}

export function createRepository(tables: Tables): Repository {
  return {
    read: (query) => readState(tables, query),
    apply: (operations, basis) => applyOperations(tables, operations, basis),
    readTeam: (teamId) => readTeam(tables, assertValidKey(teamId, 'team id')),
    readUser: (userId) => readUser(tables, assertValidKey(userId, 'user id')),
    teamRowPage: (options) => teamRowPage(tables, options),
    teamRows: (teamIds) => teamRows(tables, teamIds),
    writeRun: (record) => writeRun(tables, record),
    writeAudit: (runId, entries, part) => writeAudit(tables, runId, entries, part),
    recentRuns: (limit) => recentRuns(tables, limit),
    findRun: (runId) => findRun(tables, runId),
    runAudit: (runId) => runAudit(tables, runId),
    acquireLease: (holder, now, durationMs, name) =>
      acquireLease(tables, holder, now, durationMs, name),
    heldLease: (holder, durationMs) => heldLease(tables, holder, durationMs),
    fanOut: fanOutStore(tables),
    deltaCursors: () => readDeltaCursors(tables),
    saveDeltaCursors: (changes) => writeDeltaCursors(tables, changes),
    writeDeltaRound: (record) => writeDeltaRound(tables, record),
    lastDeltaRound: () => lastDeltaRound(tables),
    assignmentsCheckedAt: () => readAssignmentsCheckedAt(tables),
    markAssignmentsChecked: (at) => writeAssignmentsCheckedAt(tables, at),
    notifications: notificationState(tables),
    userRowPage: (options) => userRowPage(tables, options),
    userRows: (userIds) => userRows(tables, userIds),
    writeRelease: (release) => writeRelease(tables, release),
    recentReleases: (limit) => recentReleases(tables, limit),
    readHold: () => readHold(tables),
    writeHold: (hold) => writeHold(tables, hold),
    async probe() {
      await Promise.all([
        tables.listPage('teams', { pageSize: 1 }),
        tables.listPage('users', { pageSize: 1 }),
      ]);
      return [tables.tableName('teams'), tables.tableName('users')];
    },
  };
}
