/**
 * Sign-in sync: one user, at once. Reads the user's groups and profile from Graph and only
 * that user's rows from the tables, plans with the shared planner, and writes. Graph failures
 * stop the sync before anything is written, so a throttled or failing Graph never removes a
 * membership.
 */
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { DirectoryReader } from '../graph/directory.js';
import type { Clock } from '../services.js';
import {
  TEAM_ROW,
  type SyncStore,
  type TableStore,
  type TeamRecord,
  type UserRecord,
  type WriteResult,
} from '../store/index.js';
import type { SignedInIdentity } from './identity.js';
import { changeOutcomes, type ChangeResult } from './outcomes.js';
import {
  planSync,
  planWrites,
  profileFromEntra,
  type DesiredState,
  type UserProfile,
} from './planner.js';

export interface SignInDependencies {
  readonly settings: Settings;
  readonly directory: DirectoryReader;
  readonly store: SyncStore;
  readonly tables: TableStore;
  readonly clock: Clock;
}

export interface SignInTeam {
  readonly teamId: string;
  readonly teamAlias: string;
  readonly role: string;
  readonly source: string;
}

export interface SignInResult {
  readonly user: UserProfile & { readonly userRole: string; readonly created: boolean };
  readonly teams: readonly SignInTeam[];
  readonly changes: {
    readonly teamsCreated: readonly string[];
    readonly teamsRestored: readonly string[];
    readonly teamsRenamed: readonly string[];
    readonly membershipsAdded: readonly string[];
    readonly membershipsRemoved: readonly string[];
    readonly membershipsRepaired: readonly string[];
    readonly tableWrites: number;
  };
}

/** A stale ETag means someone wrote in between: read again and re-plan, a few times. */
const MAX_ATTEMPTS = 3;

async function readCurrent(
  store: SyncStore,
  userId: string,
  userGroupIds: Iterable<string>,
): Promise<{ user: UserRecord; teams: Map<string, TeamRecord> }> {
  const user = await store.readUser(userId);
  const teamIds = new Set([...userGroupIds, ...user.teams.keys()]);
  const teams = await Promise.all(
    [...teamIds].map((teamId) => store.readTeamMembership(teamId, userId)),
  );
  return { user, teams: new Map(teams.map((record) => [record.teamId, record])) };
}

/**
 * The team rows as they stand after this sign-in's writes: what was read, with what was
 * written over it, so the answer needs no second read of every team.
 */
function teamRowsAfter(
  teams: ReadonlyMap<string, TeamRecord>,
  results: readonly WriteResult[],
): Map<string, { teamAlias: string; archived: boolean }> {
  const rows = new Map<string, { teamAlias: string; archived: boolean }>();
  for (const [teamId, record] of teams) {
    if (record.team !== undefined) {
      rows.set(teamId, { teamAlias: record.team.teamAlias, archived: record.team.archived });
    }
  }
  for (const { write, outcome } of results) {
    if (outcome !== 'applied' || write.table !== 'teams' || write.rowKey !== TEAM_ROW) continue;
    if (write.action === 'delete') continue;
    const row = rows.get(write.partitionKey) ?? { teamAlias: write.partitionKey, archived: false };
    const { teamAlias, archived } = write.properties;
    rows.set(write.partitionKey, {
      teamAlias: typeof teamAlias === 'string' ? teamAlias : row.teamAlias,
      archived: typeof archived === 'boolean' ? archived : row.archived,
    });
  }
  return rows;
}

export async function syncSignedInUser(
  dependencies: SignInDependencies,
  identity: SignedInIdentity,
): Promise<SignInResult> {
  const { settings, directory, store, tables, clock } = dependencies;
  const userId = identity.userId.toLowerCase();
  const [fromGraph, assigned] = await Promise.all([
    identity.groupsClaim === undefined
      ? directory.userWithGroups(userId, settings.sync.groupMembership)
      : directory.users([userId]).then((users) => ({
          user: users.get(userId) ?? undefined,
          groupIds: new Set(identity.groupsClaim),
        })),
    directory.assignedGroups(),
  ]);
  if (fromGraph.user === undefined) {
    throw new SyncServiceError(
      'graph_incomplete',
      `Entra ID has no user with object id ${userId}; the sign-in cannot be synced`,
    );
  }
  const profile = profileFromEntra(fromGraph.user);
  const groupIds = new Set([...fromGraph.groupIds].map((id) => id.toLowerCase()));
  const userGroups = new Map(
    assigned
      .filter((group) => groupIds.has(group.id.toLowerCase()))
      .map((group) => [group.id.toLowerCase(), { displayName: group.displayName }]),
  );

  const made: ChangeResult[] = [];
  let tableWrites = 0;
  let teamRows = new Map<string, { teamAlias: string; archived: boolean }>();
  for (let attempt = 1; ; attempt += 1) {
    const current = await readCurrent(store, userId, userGroups.keys());
    const members = new Map<string, ReadonlySet<string>>();
    for (const teamId of current.teams.keys()) {
      members.set(teamId, userGroups.has(teamId) ? new Set([userId]) : new Set());
    }
    const desired: DesiredState = {
      scope: { kind: 'user', userId },
      assignedGroups: userGroups,
      members,
      users: new Map([[userId, profile]]),
    };
    const plan = planSync(
      desired,
      { teams: current.teams, users: new Map([[userId, current.user]]) },
      {
        now: clock().toISOString(),
        actor: 'signin',
        defaults: settings.defaults,
        maxMembershipRemovals: settings.sync.maxMembershipRemovalsPerRun,
      },
    );
    const report = await tables.applyWrites(planWrites(plan));
    tableWrites += report.applied;
    made.push(...changeOutcomes(plan.changes, report.results));
    teamRows = teamRowsAfter(current.teams, report.results);
    const failed = report.results.find((result) => result.outcome === 'failed');
    if (failed?.error !== undefined) throw failed.error;
    const conflicted = report.results.some((result) => result.outcome === 'conflict');
    if (!conflicted) break;
    if (attempt >= MAX_ATTEMPTS) {
      throw new SyncServiceError(
        'store_conflict',
        `the tables kept changing while user ${userId} was synced (${MAX_ATTEMPTS} attempts)`,
      );
    }
  }

  const final = await store.readUser(userId);
  // Only what this sign-in actually did: a team a concurrent sign-in created is not "created".
  const changes = made
    .filter((result) => result.outcome === 'applied')
    .map((result) => result.change);
  const teamsOf = (kind: string) => [
    ...new Set(
      changes.filter((change) => change.kind === kind).map((change) => change.teamId ?? ''),
    ),
  ];
  return {
    user: {
      ...profile,
      userRole: final.user?.userRole ?? 'internal_user',
      created: changes.some((change) => change.kind === 'user-created'),
    },
    teams: [...final.teams.values()]
      .flatMap((link) => {
        // A team created by a concurrent sign-in was not read here: it carries the group's name.
        const team = teamRows.get(link.teamId) ?? {
          teamAlias: userGroups.get(link.teamId)?.displayName ?? link.teamId,
          archived: false,
        };
        if (team.archived) return [];
        return [
          { teamId: link.teamId, teamAlias: team.teamAlias, role: link.role, source: link.source },
        ];
      })
      .sort((a, b) => a.teamAlias.localeCompare(b.teamAlias)),
    changes: {
      teamsCreated: teamsOf('team-created'),
      teamsRestored: teamsOf('team-restored'),
      teamsRenamed: teamsOf('team-renamed'),
      membershipsAdded: teamsOf('membership-added'),
      membershipsRemoved: teamsOf('membership-removed'),
      membershipsRepaired: teamsOf('membership-repaired'),
      tableWrites,
    },
  };
}
