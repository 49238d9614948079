/**
 * The groups scope's inputs: for each group id, whether it is still assigned and, if so, its
 * members from Graph and the roles the app's assignments give them; then those teams'
 * partitions and their members' user partitions.
 */
import type { Settings } from '../config/settings.js';
import type { DirectoryReader } from '../graph/directory.js';
import type { Repository } from '../store/index.js';
import { readAppAccess, rolesFromAssignments } from './entra-roles.js';
import { readGroupMembers } from './group-members.js';
import type { PlanInputs, ScopeReader } from './plan-inputs.js';
import type { DesiredState } from './planner.js';

export function groupsReader(
  directory: DirectoryReader,
  repository: Repository,
  settings: Settings,
  groupIds: ReadonlySet<string>,
): ScopeReader {
  let entra: Omit<PlanInputs, 'current'> | undefined;

  const readEntra = async (): Promise<Omit<PlanInputs, 'current'>> => {
    const access = await readAppAccess(directory, { maxAgeSeconds: 0 });
    const assigned = access.assignments.groups.filter((group) =>
      groupIds.has(group.id.toLowerCase()),
    );
    const assignedIds = assigned.map((group) => group.id.toLowerCase());
    const { members, users, incompleteGroups } = await readGroupMembers(
      directory,
      assignedIds,
      settings.sync.groupMembership,
    );
    // A member's role may come from any assigned group, in the scope or not.
    const roles = await rolesFromAssignments(
      directory,
      access,
      settings.access.roleMappings,
      users.keys(),
    );
    const desired: DesiredState = {
      scope: { kind: 'groups', groupIds },
      assignedGroups: new Map(
        assigned.map((group) => [group.id.toLowerCase(), { displayName: group.displayName }]),
      ),
      members,
      users,
      entraRoles: roles.roles,
    };
    return {
      desired,
      groups: assignedIds.length,
      incompleteGroups,
      unmappedRoleValues: roles.unmappedValues,
    };
  };

  const readTables = (inputs: Omit<PlanInputs, 'current'>) =>
    repository.read({
      kind: 'groups',
      teamIds: groupIds,
      userIds: new Set(inputs.desired.users.keys()),
    });

  return {
    async read() {
      entra ??= await readEntra();
      return { ...entra, current: await readTables(entra) };
    },
  };
}
