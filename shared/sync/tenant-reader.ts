/**
 * The tenant scope's inputs: all of the tables and, at the same time, every assigned group's
 * members from Graph; then the team members no complete group listed, the users assigned
 * directly, and the roles the app's assignments give them.
 */
import type { Settings } from '../config/settings.js';
import type { DirectoryReader, EntraUser } from '../graph/directory.js';
import type { Repository } from '../store/index.js';
import { readAppAccess, rolesFromAssignments, type AppAccess } from './entra-roles.js';
import { readGroupMembers, type DesiredMembers } from './group-members.js';
import type { CurrentState, UserProfile } from './model.js';
import type { PlanInputs, ScopeReader } from './plan-inputs.js';
import type { DesiredState } from './planner.js';
import { profileFromEntra } from './profile.js';

const TENANT = { kind: 'tenant' } as const;

interface GroupsInEntra extends DesiredMembers {
  readonly access: AppAccess;
  readonly groupIds: readonly string[];
}

/** Members of some team whom Entra has not been asked about yet. */
function knownTeamMembers(current: CurrentState): string[] {
  return [...current.users.values()]
    .filter((record) => record.user?.deletedInEntra !== true && record.teams.size > 0)
    .map((record) => record.userId);
}

/**
 * Team members the tables know but no complete group listed: asks Graph about them, so that a
 * deleted or disabled member (a manual one, or one who just left their groups) is brought up to
 * date. Users in no team at all are left to their next sign-in: looking them up on every run
 * would cost a Graph call per departed user forever. Users assigned to the app directly are
 * synced like members, with no team. Adds what Graph answers to `users`.
 */
export async function lookUpUnseen(
  directory: DirectoryReader,
  current: CurrentState,
  directlyAssigned: readonly string[],
  users: Map<string, UserProfile | null>,
): Promise<void> {
  const unseen = [...new Set([...knownTeamMembers(current), ...directlyAssigned])].filter(
    (userId) => !users.has(userId),
  );
  if (unseen.length === 0) return;
  const found: ReadonlyMap<string, EntraUser | null> = await directory.users(unseen);
  for (const userId of unseen) {
    const user = found.get(userId);
    if (user === undefined) continue;
    users.set(userId, user === null ? null : profileFromEntra(user));
  }
}

export function tenantReader(
  directory: DirectoryReader,
  repository: Repository,
  settings: Settings,
  onProgress?: (groupsDone: number, groupsTotal: number) => void,
  /** The app's assignments, when the caller has just listed them (a full pass deciding to fan out). */
  listed?: AppAccess,
): ScopeReader {
  let groups: Promise<GroupsInEntra> | undefined;
  let entra: Omit<PlanInputs, 'current'> | undefined;

  const readGroups = async (): Promise<GroupsInEntra> => {
    const access = listed ?? (await readAppAccess(directory, { maxAgeSeconds: 0 }));
    const groupIds = access.assignments.groups.map((group) => group.id.toLowerCase());
    const members = await readGroupMembers(
      directory,
      groupIds,
      settings.sync.groupMembership,
      onProgress,
    );
    return { access, groupIds, ...members };
  };

  const readEntra = async (
    { access, groupIds, members, users, incompleteGroups }: GroupsInEntra,
    current: CurrentState,
  ): Promise<Omit<PlanInputs, 'current'>> => {
    const directlyAssigned = access.assignments.users.map((user) => user.id.toLowerCase());
    await lookUpUnseen(directory, current, directlyAssigned, users);
    const roles = await rolesFromAssignments(
      directory,
      access,
      settings.access.roleMappings,
      [...users].flatMap(([userId, profile]) => (profile === null ? [] : [userId])),
    );
    const desired: DesiredState = {
      scope: TENANT,
      assignedGroups: new Map(
        access.assignments.groups.map((group) => [
          group.id.toLowerCase(),
          { displayName: group.displayName },
        ]),
      ),
      members,
      users,
      entraRoles: roles.roles,
    };
    return {
      desired,
      groups: groupIds.length,
      incompleteGroups,
      unmappedRoleValues: roles.unmappedValues,
    };
  };

  return {
    async read() {
      // The groups from Graph and the tables at once; only the unseen members depend on both.
      groups ??= readGroups();
      const [current, read] = await Promise.all([repository.read(TENANT), groups]);
      entra ??= await readEntra(read, current);
      return { ...entra, current };
    },
  };
}
