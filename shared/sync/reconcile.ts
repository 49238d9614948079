/**
 * Reconciliation: a full pass over every group assigned to the app. Reads all of Entra's side
 * through Graph and all of the tables, plans with the shared planner, writes, and records the
 * run. A dry run plans and writes nothing at all, not even its run record.
 */
import { describeError, isServiceError } from '../errors.js';
import type { DirectoryReader, EntraUser } from '../graph/directory.js';
import type { Services } from '../services.js';
import type { WriteResult } from '../store/index.js';
import { changeOutcomes } from './outcomes.js';
import {
  planSync,
  profileFromEntra,
  type ChangeKind,
  type DesiredState,
  type Plan,
  type UserProfile,
} from './planner.js';
import {
  acquireLease,
  auditWrites,
  heldChange,
  newRunId,
  writeRun,
  type RunRecord,
  type RunSummary,
  type RunTrigger,
} from './run-records.js';

export type ReconcileDependencies = Pick<
  Services,
  'settings' | 'tables' | 'store' | 'clock' | 'createDirectory'
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

interface DesiredRead {
  readonly desired: DesiredState;
  readonly groups: number;
  readonly incompleteGroups: { groupId: string; reason: string }[];
}

async function readDesiredState(
  directory: DirectoryReader,
  dependencies: ReconcileDependencies,
  onProgress: ReconcileOptions['onProgress'],
  knownUserIds: Iterable<string>,
): Promise<DesiredRead> {
  const { settings } = dependencies;
  const assigned = await directory.assignedGroups({ maxAgeSeconds: 0 });
  const groupIds = assigned.map((group) => group.id.toLowerCase());
  const memberLists = await directory.groupMembers(
    groupIds,
    settings.sync.groupMembership,
    onProgress,
  );

  const members = new Map<string, ReadonlySet<string>>();
  const users = new Map<string, UserProfile | null>();
  const incompleteGroups: { groupId: string; reason: string }[] = [];
  for (const groupId of groupIds) {
    const listing = memberLists.get(groupId);
    if (listing?.complete !== true) {
      incompleteGroups.push({
        groupId,
        reason: listing === undefined ? 'not read' : listing.reason,
      });
      continue;
    }
    const ids = new Set<string>();
    for (const member of listing.members) {
      const profile = profileFromEntra(member);
      ids.add(profile.userId);
      users.set(profile.userId, profile);
    }
    members.set(groupId, ids);
  }

  // Team members the tables know but no complete group listed: ask Graph about them, so that
  // a deleted or disabled member (a manual one, or one who just left their groups) is brought
  // up to date. Users in no team at all are left to their next sign-in: looking them up on
  // every run would cost a Graph call per departed user forever.
  const unseen = [...new Set(knownUserIds)].filter((userId) => !users.has(userId));
  if (unseen.length > 0) {
    const found: ReadonlyMap<string, EntraUser | null> = await directory.users(unseen);
    for (const userId of unseen) {
      const user = found.get(userId);
      if (user === undefined) continue;
      users.set(userId, user === null ? null : profileFromEntra(user));
    }
  }

  return {
    desired: {
      scope: { kind: 'tenant' },
      assignedGroups: new Map(
        assigned.map((group) => [group.id.toLowerCase(), { displayName: group.displayName }]),
      ),
      members,
      users,
    },
    groups: groupIds.length,
    incompleteGroups,
  };
}

function emptySummary(): RunSummary {
  return {
    groups: 0,
    teamsCreated: 0,
    teamsRenamed: 0,
    teamsArchived: 0,
    teamsRestored: 0,
    teamsHeld: 0,
    usersCreated: 0,
    usersUpdated: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
    membershipsRepaired: 0,
    membershipsHeld: 0,
    incompleteGroups: 0,
    conflicts: 0,
    failedWrites: 0,
    graphRequests: 0,
    tableWrites: 0,
    durationMs: 0,
  };
}

export async function reconcile(
  dependencies: ReconcileDependencies,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const { settings, tables, store, clock } = dependencies;
  const startedAt = clock();
  const { runId, rowKey } = newRunId(startedAt);
  const directory = dependencies.createDirectory();
  const base = {
    runId,
    trigger: options.trigger,
    startedAt: startedAt.toISOString(),
    held: [],
    incompleteGroups: [],
  } satisfies Partial<RunRecord>;

  const lease =
    options.dryRun === true
      ? undefined
      : await acquireLease(tables, runId, startedAt, LEASE_DURATION_MS);
  try {
    if (options.dryRun !== true) await writeRun(tables, rowKey, { ...base, outcome: 'running' });

    const [teams, users] = await Promise.all([store.readAllTeams(), store.readAllUsers()]);
    const knownUserIds = [...users.values()]
      .filter((record) => record.user?.deletedInEntra !== true && record.teams.size > 0)
      .map((record) => record.userId);
    const read = await readDesiredState(directory, dependencies, options.onProgress, knownUserIds);
    const plan = planSync(
      read.desired,
      { teams, users },
      {
        now: clock().toISOString(),
        actor: 'reconcile',
        defaults: settings.defaults,
        maxMembershipRemovals:
          options.maxMembershipRemovals ?? settings.sync.maxMembershipRemovalsPerRun,
        allowEmptyAssignments: options.allowEmptyAssignments ?? false,
      },
    );

    let results: readonly WriteResult[] = [];
    let tableWrites = 0;
    if (lease !== undefined) {
      // Reading a large tenant under throttling can take long: write only while still holding.
      await lease.renew(clock());
      const report = await tables.applyWrites(plan.changes.flatMap((change) => change.writes));
      results = report.results;
      tableWrites = report.applied;
    }
    const failedWrites = results.filter((result) => result.outcome === 'failed').length;
    const conflicts = results.filter((result) => result.outcome === 'conflict').length;
    const outcomes = changeOutcomes(plan.changes, results);
    // The counts say what this run did: a change a concurrent sign-in made first, or one that
    // met a stale ETag or failed, is in the audit log with its outcome but not counted here.
    const made = outcomes.filter((result) => result.outcome === 'applied');
    const count = (kind: ChangeKind) => made.filter((result) => result.change.kind === kind).length;
    const summary: RunSummary = {
      ...emptySummary(),
      ...plan.summary,
      teamsCreated: count('team-created'),
      teamsRenamed: count('team-renamed'),
      teamsArchived: count('team-archived'),
      teamsRestored: count('team-restored'),
      usersCreated: count('user-created'),
      usersUpdated: count('user-updated'),
      membershipsAdded: count('membership-added'),
      membershipsRemoved: count('membership-removed'),
      membershipsRepaired: count('membership-repaired'),
      groups: read.groups,
      incompleteGroups: read.incompleteGroups.length,
      conflicts,
      failedWrites,
      graphRequests: directory.requestCount,
      tableWrites,
      durationMs: clock().getTime() - startedAt.getTime(),
    };
    const record: RunRecord = {
      ...base,
      endedAt: clock().toISOString(),
      outcome:
        failedWrites > 0 || read.incompleteGroups.length > 0
          ? 'partial'
          : plan.held.length > 0
            ? 'held'
            : 'succeeded',
      summary,
      holdReason: plan.holdReason,
      held: plan.held.map(heldChange),
      incompleteGroups: read.incompleteGroups,
    };
    if (options.dryRun !== true) {
      await tables.applyWrites(
        auditWrites(runId, [
          ...outcomes,
          ...plan.held.map((change) => ({ change, outcome: 'held' })),
        ]),
      );
      await writeRun(tables, rowKey, record);
    }
    return { record, plan };
  } catch (error) {
    const record: RunRecord = {
      ...base,
      endedAt: clock().toISOString(),
      outcome: 'failed',
      summary: { ...emptySummary(), graphRequests: directory.requestCount },
      error: {
        code: isServiceError(error) ? error.code : 'internal',
        message: describeError(error),
      },
    };
    if (options.dryRun !== true) await writeRun(tables, rowKey, record).catch(() => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
      runRecord: record,
    });
  } finally {
    await lease?.release().catch(() => undefined);
  }
}
