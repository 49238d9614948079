/**
 * The user scope's inputs (a sign-in): the user's profile and groups from Graph (or the
 * token's complete `groups` claim) and their role from the `roles` claim, then the user's
 * partition and one row per team in view. A user assigned to the app neither directly nor
 * through a group is refused here (`not_assigned`, unless SIGN_IN_USERS=any), before anything
 * is read from the tables or written.
 * Graph failures stop here, before anything is written, so a throttled or failing Graph never
 * removes a membership; nor does a sign-in remove one the last full pass's guard held.
 */
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { DirectoryReader } from '../graph/directory.js';
import type { Repository } from '../store/index.js';
import {
  isAssignedDirectly,
  readAppAccess,
  rolesFromClaim,
  type EntraRoles,
} from './entra-roles.js';
import { holdsRemovalsOf, type GuardHold } from './guard-hold.js';
import type { CurrentState, UserProfile } from './model.js';
import type { PlanInputs, ScopeReader } from './plan-inputs.js';
import type { DesiredState } from './planner.js';
import { profileFromEntra } from './profile.js';
import { sameMap } from './same.js';

interface UserInEntra {
  readonly profile: UserProfile;
  /** The assigned groups the user belongs to, by id. */
  readonly groups: ReadonlyMap<string, { readonly displayName: string }>;
  readonly roles: EntraRoles;
  /** Assigned to the app, directly or through a group (or SIGN_IN_USERS=any). */
  readonly mayBeSynced: boolean;
}

/** What the sign-in of a user who may not be synced answers (nothing is written). */
function notAssigned(userId: string): SyncServiceError {
  return new SyncServiceError(
    'not_assigned',
    'You are not assigned to MishikaLLM; ask your administrator to assign you, or a group ' +
      `you belong to, to the MishikaLLM application in Entra ID (user ${userId}).`,
  );
}

async function readUserInEntra(
  directory: DirectoryReader,
  settings: Settings,
  userId: string,
  claims: UserClaims,
): Promise<UserInEntra> {
  const { groupsClaim } = claims;
  const [fromGraph, access] = await Promise.all([
    groupsClaim === undefined
      ? directory.userWithGroups(userId, settings.sync.groupMembership)
      : directory.users([userId]).then((users) => ({
          user: users.get(userId) ?? undefined,
          groupIds: new Set(groupsClaim),
        })),
    readAppAccess(directory),
  ]);
  if (fromGraph.user === undefined) {
    throw new SyncServiceError(
      'graph_incomplete',
      `Entra ID has no user with object id ${userId}; the sign-in cannot be synced`,
    );
  }
  const groupIds = new Set([...fromGraph.groupIds].map((id) => id.toLowerCase()));
  const groups = new Map(
    access.assignments.groups
      .filter((group) => groupIds.has(group.id.toLowerCase()))
      .map((group) => [group.id.toLowerCase(), { displayName: group.displayName }]),
  );
  const assigned = groups.size > 0 || isAssignedDirectly(access, userId);
  return {
    profile: profileFromEntra(fromGraph.user),
    groups,
    roles: rolesFromClaim(userId, claims.roles ?? [], access, settings.access.roleMappings),
    mayBeSynced: assigned || settings.access.signInUsers === 'any',
  };
}

/**
 * The user belongs exactly to their assigned groups' teams among those in view, except that a
 * team whose removals the guard holds is left as it is unless the user is to be added there.
 */
function desiredFor(
  userId: string,
  entra: UserInEntra,
  current: CurrentState,
  hold: GuardHold | undefined,
): DesiredState {
  const members = new Map<string, ReadonlySet<string>>();
  for (const teamId of current.teams.keys()) {
    if (entra.groups.has(teamId)) members.set(teamId, new Set([userId]));
    else if (!holdsRemovalsOf(hold, teamId)) members.set(teamId, new Set());
  }
  return {
    scope: { kind: 'user', userId },
    assignedGroups: entra.groups,
    members,
    users: new Map([[userId, entra.profile]]),
    entraRoles: entra.roles.roles,
  };
}

/** What the user's token says that the sync uses. */
export interface UserClaims {
  /** The `groups` claim, when complete and authoritative. */
  readonly groupsClaim?: readonly string[] | undefined;
  /** The `roles` claim (absent: no roles). */
  readonly roles?: readonly string[] | undefined;
}

export function userReader(
  directory: DirectoryReader,
  repository: Repository,
  settings: Settings,
  userId: string,
  claims: UserClaims,
): ScopeReader {
  let entra: UserInEntra | undefined;
  const inputs = async (known: UserInEntra): Promise<PlanInputs> => {
    const [current, hold] = await Promise.all([
      repository.read({ kind: 'user', userId, teamIds: new Set(known.groups.keys()) }),
      repository.readHold(),
    ]);
    return {
      desired: desiredFor(userId, known, current, hold),
      current,
      groups: known.groups.size,
      incompleteGroups: [],
      unmappedRoleValues: known.roles.unmappedValues,
    };
  };
  return {
    async read() {
      if (entra === undefined) {
        entra = await readUserInEntra(directory, settings, userId, claims);
        if (!entra.mayBeSynced) throw notAssigned(userId);
      }
      return inputs(entra);
    },
    // A user who left their last group meanwhile is not refused: the sign-in then takes back
    // what it wrote. The `groups` claim is the token's word and is not asked again.
    async entraMoved() {
      if (entra === undefined || claims.groupsClaim !== undefined) return false;
      const again = await readUserInEntra(directory, settings, userId, claims);
      const moved = !sameMap(entra.groups, again.groups, (a, b) => a.displayName === b.displayName);
      if (moved) entra = again;
      return moved;
    },
  };
}
