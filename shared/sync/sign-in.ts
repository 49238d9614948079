/**
 * Sign-in sync: one user, at once, through the engine's user scope, answered from the rows the
 * sync read and wrote.
 */
import { groupMessages } from '../queue/index.js';
import type { Services } from '../services.js';
import { createSyncEngine } from './engine.js';
import type { SignedInIdentity } from './identity.js';
import type { UserProfile } from './model.js';
import type { OperationKind } from './operations.js';
import { madeChange } from './outcomes.js';

export type SignInDependencies = Pick<Services, 'settings' | 'directory' | 'repository' | 'clock'> &
  Partial<Pick<Services, 'groupSyncQueue'>>;

export interface SignInTeam {
  readonly teamId: string;
  readonly teamAlias: string;
  readonly role: string;
  readonly source: string;
}

export interface SignInResult {
  readonly user: UserProfile & {
    readonly userRole: string;
    /** The role Entra's app roles give the user; absent while no app role maps to a role. */
    readonly entraRole?: string | undefined;
    readonly created: boolean;
  };
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

/**
 * Sign-ins of this process in flight, by user: another sign-in of the same user (a second tab,
 * a retry) waits for the one before it, then finds its rows written instead of meeting its
 * ETags; under the load suite, such pairs were most of the `409 store_conflict` answers.
 */
const inFlight = new Map<string, Promise<unknown>>();

export async function syncSignedInUser(
  dependencies: SignInDependencies,
  identity: SignedInIdentity,
): Promise<SignInResult> {
  const userId = identity.userId.toLowerCase();
  const before = inFlight.get(userId)?.catch(() => undefined);
  const mine = (async () => {
    await before;
    return syncUser(dependencies, identity, userId);
  })();
  inFlight.set(userId, mine);
  try {
    return await mine;
  } finally {
    if (inFlight.get(userId) === mine) inFlight.delete(userId);
  }
}

async function syncUser(
  dependencies: SignInDependencies,
  identity: SignedInIdentity,
  userId: string,
): Promise<SignInResult> {
  const engine = createSyncEngine(dependencies);
  const { desired, outcomes, summary, rows } = await engine.sync(
    { kind: 'user', userId },
    'signin',
    {
      groupsClaim: identity.groupsClaim,
      rolesClaim: identity.roles,
      untilSettled: true,
      // A sign-in that gives up after writing leaves its teams to the group-sync worker, which
      // reads Entra after those writes: a stale view of this sign-in's does not stand.
      handOver: async (teamIds) => {
        await dependencies.groupSyncQueue?.send(
          groupMessages('groups', teamIds, dependencies.clock()),
        );
      },
    },
  );

  // Only what this sign-in actually did: a team a concurrent sign-in created is not "created".
  const made = outcomes.filter(madeChange).map((outcome) => outcome.operation);
  const teamsOf = (kind: OperationKind) => [
    ...new Set(
      made.flatMap((operation) =>
        operation.kind === kind && 'teamId' in operation ? [operation.teamId] : [],
      ),
    ),
  ];
  const record = rows.users.get(userId);
  const profile = desired.users.get(userId);
  if (profile === undefined || profile === null) {
    throw new Error(`the sign-in of ${userId} was planned without a profile`);
  }
  return {
    user: {
      ...profile,
      userRole: record?.user?.userRole ?? 'internal_user',
      entraRole: record?.user?.entraRole,
      created: made.some((operation) => operation.kind === 'user-created'),
    },
    teams: [...(record?.teams.values() ?? [])]
      .flatMap((link) => {
        const team = rows.teams.get(link.teamId)?.team;
        if (team?.archived === true) return [];
        // A team row this sign-in did not read (a concurrent one created it) carries the group's name.
        const teamAlias =
          team?.teamAlias ?? desired.assignedGroups.get(link.teamId)?.displayName ?? link.teamId;
        return [{ teamId: link.teamId, teamAlias, role: link.role, source: link.source }];
      })
      .sort((a, b) => a.teamAlias.localeCompare(b.teamAlias)),
    changes: {
      teamsCreated: teamsOf('team-created'),
      teamsRestored: teamsOf('team-restored'),
      teamsRenamed: teamsOf('team-renamed'),
      membershipsAdded: teamsOf('membership-added'),
      membershipsRemoved: teamsOf('membership-removed'),
      membershipsRepaired: teamsOf('membership-repaired'),
      tableWrites: summary.tableWrites,
    },
  };
}
