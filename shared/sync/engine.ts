/**
 * The sync engine: one planner, several scopes and triggers. For a scope it reads Entra and the
 * tables, plans, has the repository apply the operations, and summarises the outcomes once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { DirectoryReader } from '../graph/directory.js';
import type { Clock } from '../services.js';
import type { Repository } from '../store/index.js';
import type { AppAccess } from './entra-roles.js';
import { groupsReader, type ShareReading } from './groups-reader.js';
import type { CurrentState } from './model.js';
import { teamOf } from './operations.js';
import { NO_WRITES, type OperationOutcome } from './outcomes.js';
import type { ScopeReader } from './plan-inputs.js';
import { planSync, type DesiredState, type Plan } from './planner.js';
import type { IncompleteGroup, RunTrigger } from './run-records.js';
import type { SyncScope } from './scope.js';
import { summarise, type SyncSummary } from './summary.js';
import { tenantReader } from './tenant-reader.js';
import { reportUnmappedRolesToLog } from './unmapped-roles.js';
import { userReader } from './user-reader.js';

export type SyncTrigger = 'signin' | RunTrigger;

export interface SyncEngineDependencies {
  readonly repository: Repository;
  readonly directory: DirectoryReader;
  readonly clock: Clock;
  readonly settings: Settings;
  /** Where app role values that map to no role are reported; default: once per process, to the log. */
  readonly reportUnmappedRoles?: ((values: readonly string[]) => void) | undefined;
  /** Waits between attempts after a stale ETag (tests pass one that records and returns). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** A number in [0, 1) for the pause's jitter; default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

export interface SyncOptions {
  /** Plan only: nothing is written and every operation's outcome is `planned`. */
  readonly dryRun?: boolean | undefined;
  /** Overrides MAX_MEMBERSHIP_REMOVALS_PER_RUN for this sync (how an operator releases a hold). */
  readonly maxMembershipRemovals?: number | undefined;
  readonly allowEmptyAssignments?: boolean | undefined;
  readonly onProgress?: ((groupsDone: number, groupsTotal: number) => void) | undefined;
  /** User scope: the token's `groups` claim, when complete and authoritative. */
  readonly groupsClaim?: readonly string[] | undefined;
  /** User scope: the token's `roles` claim (absent: the user holds no app role). */
  readonly rolesClaim?: readonly string[] | undefined;
  /** Runs before the writes (a full pass renews its lease there). */
  readonly beforeWrite?: (() => Promise<void>) | undefined;
  /**
   * For a caller that answers at once (a sign-in): a sync that has not settled after its
   * attempts fails with `store_conflict` (instead of answering `settled: false`), and a failed
   * write fails the sync.
   */
  readonly untilSettled?: boolean | undefined;
  /**
   * Groups scope: this sync is a share of a fanned-out full pass. It reads like the tenant scope
   * over its groups (see groupsReader) and leaves the emptied-team hold to the run's guard.
   */
  readonly share?: ShareReading | undefined;
  /** Holds every removal and archive for this reason: the fanned-out run's guard decided so. */
  readonly holdRemovals?: string | undefined;
  /**
   * Where a sync that wrote team or membership rows and then could not settle (it gave up, or
   * Graph failed when it checked Entra again) hands those teams over, to be synced later from a
   * fresh read: a sign-in queues them for the group-sync worker. Its own failure is ignored (the
   * full pass still reads every team).
   */
  readonly handOver?: ((teamIds: readonly string[]) => Promise<void>) | undefined;
  /** Tenant scope: the app's assignments, already listed by the caller. */
  readonly listed?: AppAccess | undefined;
}

export interface SyncResult {
  /**
   * False when the last attempt still met a stale ETag or an Entra that had moved: what this
   * sync wrote may be stale, so it must run again (a groups sync's message is retried).
   */
  readonly settled: boolean;
  readonly desired: DesiredState;
  /** The last plan made (a sync that met a conflict plans again). */
  readonly plan: Plan;
  /** Every operation applied, over all attempts, with its outcome. */
  readonly outcomes: readonly OperationOutcome[];
  readonly summary: SyncSummary;
  /** The rows that were read, as they stand after the writes. */
  readonly rows: CurrentState;
  readonly groups: number;
  readonly incompleteGroups: readonly IncompleteGroup[];
}

export interface SyncEngine {
  sync(scope: SyncScope, trigger: SyncTrigger, options?: SyncOptions): Promise<SyncResult>;
}

/**
 * A stale ETag means someone wrote in between; an Entra that moved between the sync's Graph
 * read and its writes means another writer may have synced the newer state first, which this
 * sync's writes then undid. Either way: read again and re-plan, a few times.
 */
const MAX_ATTEMPTS = 5;

/** The teams whose rows (the team's or a membership's) these outcomes wrote. */
function teamsWritten(outcomes: readonly OperationOutcome[]): ReadonlySet<string> {
  return new Set(
    outcomes.flatMap((outcome) =>
      outcome.outcome === 'applied' ? (teamOf(outcome.operation) ?? []) : [],
    ),
  );
}

/**
 * Before attempt n + 1, a pause of up to 25 ms × 2^n, at random: writers that met each other on
 * the same rows (the same user signing in twice, a sign-in beside the queue worker) would meet
 * again if they re-read at once, and used to give up with `store_conflict` under load.
 */
export function conflictPauseMs(attempt: number, random: () => number): number {
  return Math.round(random() * 25 * 2 ** attempt);
}

/**
 * A `groups` sync never strips a team of this many Entra members or more: a group that looks
 * empty for a moment (a script, a replication hiccup) waits for the full pass and its guard.
 */
export const GROUPS_SCOPE_EMPTY_TEAM_GUARD = 10;

function actorOf(trigger: SyncTrigger): 'signin' | 'reconcile' | 'delta' | 'notification' {
  return trigger === 'signin' || trigger === 'delta' || trigger === 'notification'
    ? trigger
    : 'reconcile';
}

function readerFor(
  dependencies: SyncEngineDependencies,
  scope: SyncScope,
  options: SyncOptions,
): ScopeReader {
  const { directory, repository, settings } = dependencies;
  switch (scope.kind) {
    case 'user':
      return userReader(directory, repository, settings, scope.userId, {
        groupsClaim: options.groupsClaim,
        roles: options.rolesClaim,
      });
    case 'groups':
      return groupsReader(directory, repository, settings, scope.groupIds, options.share);
    case 'tenant':
      return tenantReader(directory, repository, settings, options.onProgress, options.listed);
  }
}

function describeScope(scope: SyncScope): string {
  switch (scope.kind) {
    case 'user':
      return `user ${scope.userId}`;
    case 'groups':
      return `groups ${[...scope.groupIds].join(', ')}`;
    case 'tenant':
      return 'the tenant';
  }
}

export function createSyncEngine(dependencies: SyncEngineDependencies): SyncEngine {
  const { repository, clock, settings } = dependencies;
  const reportUnmappedRoles = dependencies.reportUnmappedRoles ?? reportUnmappedRolesToLog;
  const sleep = dependencies.sleep ?? ((ms: number) => delay(ms));
  const random = dependencies.random ?? Math.random;
  return {
    async sync(scope, trigger, options = {}) {
      const reader = readerFor(dependencies, scope, options);
      // A sign-in and a groups sync settle: they retry stale ETags and check their Entra view
      // after writing. A full pass (or a share of one) reports its conflicts; the next run settles.
      const settles =
        scope.kind === 'user' || (scope.kind === 'groups' && options.share === undefined);
      const outcomes: OperationOutcome[] = [];
      const handOver = async () => {
        const teamIds = teamsWritten(outcomes);
        if (teamIds.size > 0) await options.handOver?.([...teamIds]).catch(() => undefined);
      };
      // Sign-ins read the hold themselves; a full pass decides it anew.
      // A share of a fanned-out full pass decides its hold over the whole run instead.
      const standingHold =
        scope.kind === 'groups' && options.share === undefined
          ? await repository.readHold()
          : undefined;
      for (let attempt = 1; ; attempt += 1) {
        const inputs = await reader.read();
        if (attempt === 1) reportUnmappedRoles(inputs.unmappedRoleValues ?? []);
        const plan = planSync(inputs.desired, inputs.current, {
          now: clock().toISOString(),
          actor: actorOf(trigger),
          defaults: settings.defaults,
          maxMembershipRemovals:
            options.maxMembershipRemovals ?? settings.sync.maxMembershipRemovalsPerRun,
          allowEmptyAssignments: options.allowEmptyAssignments ?? false,
          holdEmptiedTeamsFrom:
            scope.kind === 'groups' && options.share === undefined
              ? GROUPS_SCOPE_EMPTY_TEAM_GUARD
              : undefined,
          holdRemovals: options.holdRemovals,
          standingHold,
        });
        const result = (rowsAfter: () => CurrentState, settled: boolean): SyncResult => ({
          settled,
          desired: inputs.desired,
          plan,
          outcomes,
          summary: summarise(outcomes, plan.held),
          get rows() {
            return rowsAfter();
          },
          groups: inputs.groups,
          incompleteGroups: inputs.incompleteGroups,
        });

        if (options.dryRun === true) {
          for (const operation of plan.operations) {
            outcomes.push({ operation, outcome: 'planned', writes: NO_WRITES });
          }
          return result(() => inputs.current, true);
        }
        await options.beforeWrite?.();
        const applied = await repository.apply(plan.operations, inputs.current);
        outcomes.push(...applied.outcomes);
        if (!settles) return result(() => applied.rows, true);

        const failed = applied.outcomes.find((outcome) => outcome.outcome === 'failed');
        if (failed?.error !== undefined && options.untilSettled === true) throw failed.error;
        const conflicted = applied.outcomes.some((outcome) => outcome.outcome === 'conflict');
        const written = teamsWritten(applied.outcomes);
        const moved =
          written.size > 0 &&
          reader.entraMoved !== undefined &&
          (await reader.entraMoved(written).catch(async (error: unknown) => {
            await handOver();
            throw error;
          }));
        if (!conflicted && !moved) return result(() => applied.rows, true);
        if (attempt >= MAX_ATTEMPTS) {
          if (options.untilSettled !== true) return result(() => applied.rows, false);
          await handOver();
          throw new SyncServiceError(
            'store_conflict',
            `the tables or Entra kept changing while ${describeScope(scope)} was synced (${MAX_ATTEMPTS} attempts)`,
          );
        }
        if (conflicted) await sleep(conflictPauseMs(attempt, random));
      }
    },
  };
}
