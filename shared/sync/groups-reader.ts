/**
 * The groups scope's inputs: for each group id, whether it is still assigned and, if so, its
 * members from Graph and the roles the app's assignments give them; then those teams'
 * partitions and the user partitions of the users whose membership changed (a share of a
 * fanned-out full pass reads every member's, as the full pass does). As a share it also
 * asks Graph about the team members no group of the share lists (and, for the sweep share, the
 * users assigned to the app directly), as the tenant scope does for the whole tenant.
 */
import type { Settings } from '../config/settings.js';
import type { DirectoryReader } from '../graph/directory.js';
import type { Repository } from '../store/index.js';
import { readAppAccess, rolesFromAssignments, type AppAccess } from './entra-roles.js';
import { readGroupMembers, type DesiredMembers } from './group-members.js';
import type { CurrentState } from './model.js';
import type { PlanInputs, ScopeReader } from './plan-inputs.js';
import type { DesiredState } from './planner.js';
import { sameSet } from './same.js';
import { lookUpUnseen } from './tenant-reader.js';

/** How a share of a fanned-out full pass reads, beyond a plain groups scope. */
export interface ShareReading {
  /** The sweep share: the users assigned to the app directly are synced here. */
  readonly directlyAssigned: boolean;
}

interface GroupsInEntra extends DesiredMembers {
  readonly access: AppAccess;
  readonly assigned: readonly { readonly id: string; readonly displayName: string }[];
  readonly directlyAssigned: readonly string[];
}

export function groupsReader(
  directory: DirectoryReader,
  repository: Repository,
  settings: Settings,
  groupIds: ReadonlySet<string>,
  share?: ShareReading,
): ScopeReader {
  let groups: GroupsInEntra | undefined;
  let entra: Omit<PlanInputs, 'current'> | undefined;
  // Users read on an earlier attempt: one side of a membership may have been written before
  // the other met a stale ETag, and only their partition shows what is left to do.
  const readBefore = new Set<string>();

  const readGroups = async (): Promise<GroupsInEntra> => {
    const access = await readAppAccess(directory, { maxAgeSeconds: 0 });
    const assigned = access.assignments.groups.filter((group) =>
      groupIds.has(group.id.toLowerCase()),
    );
    const members = await readGroupMembers(
      directory,
      assigned.map((group) => group.id.toLowerCase()),
      settings.sync.groupMembership,
    );
    const directlyAssigned =
      share?.directlyAssigned === true
        ? access.assignments.users.map((user) => user.id.toLowerCase())
        : [];
    return { access, assigned, directlyAssigned, ...members };
  };

  const readEntra = async (
    { access, assigned, directlyAssigned, members, users, incompleteGroups }: GroupsInEntra,
    current: CurrentState,
  ): Promise<Omit<PlanInputs, 'current'>> => {
    if (share !== undefined) await lookUpUnseen(directory, current, directlyAssigned, users);
    // A member's role may come from any assigned group, in the scope or not.
    const roles = await rolesFromAssignments(
      directory,
      access,
      settings.access.roleMappings,
      share === undefined
        ? users.keys()
        : [...users].flatMap(([userId, profile]) => (profile === null ? [] : [userId])),
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
      groups: assigned.length,
      incompleteGroups,
      unmappedRoleValues: roles.unmappedValues,
    };
  };

  return {
    async read() {
      groups ??= await readGroups();
      const current =
        share === undefined
          ? await readChangedUsers(repository, groupIds, groups, readBefore)
          : await repository.read({
              kind: 'groups',
              teamIds: groupIds,
              userIds: new Set([...groups.users.keys(), ...groups.directlyAssigned]),
            });
      entra ??= await readEntra(groups, current);
      return { ...entra, current };
    },
    // A share is part of a full pass, which is not checked again (the next delta round is).
    // Only the members of the groups written are read again: a delta round's check costs what
    // it wrote, and the assignments (names, unassigned groups) wait for the next listing.
    ...(share === undefined && {
      async entraMoved(teamsWritten: ReadonlySet<string>) {
        const known = groups;
        if (known === undefined) return false;
        const assigned = new Set(known.assigned.map((group) => group.id.toLowerCase()));
        const check = [...teamsWritten].filter((teamId) => assigned.has(teamId));
        if (check.length === 0) return false;
        const again = await readGroupMembers(directory, check, settings.sync.groupMembership);
        const moved = check.some((teamId) => {
          const before = known.members.get(teamId);
          const now = again.members.get(teamId);
          return before === undefined || now === undefined ? before !== now : !sameSet(before, now);
        });
        if (moved) {
          groups = withMembersOf(known, check, again);
          entra = undefined;
        }
        return moved;
      },
    }),
  };
}

/** A reading with the members of some of its groups replaced by a newer reading of them. */
function withMembersOf(
  reading: GroupsInEntra,
  groupIds: readonly string[],
  newer: DesiredMembers,
): GroupsInEntra {
  const replaced = new Set(groupIds);
  const members = new Map(reading.members);
  for (const groupId of groupIds) members.delete(groupId);
  for (const [groupId, listed] of newer.members) members.set(groupId, listed);
  return {
    ...reading,
    members,
    users: new Map([...reading.users, ...newer.users]),
    incompleteGroups: [
      ...reading.incompleteGroups.filter((group) => !replaced.has(group.groupId)),
      ...newer.incompleteGroups,
    ],
  };
}

/**
 * A notification's or delta round's groups sync: the teams' partitions, then the user partitions
 * of only the users whose membership of those teams changed (joined, left, or the team is no
 * longer assigned). A member whose membership stands is left for sign-in and the full pass,
 * which also carry profile and role changes: a group's change says nothing about them, and
 * reading every member's partition made a 1 % change cost 7.85× its floor at M.
 */
async function readChangedUsers(
  repository: Repository,
  groupIds: ReadonlySet<string>,
  groups: GroupsInEntra,
  readBefore: Set<string>,
): Promise<CurrentState> {
  const { teams } = await repository.read({
    kind: 'groups',
    teamIds: groupIds,
    userIds: new Set(),
    memberPartitions: false,
  });
  const assigned = new Set(groups.assigned.map((group) => group.id.toLowerCase()));
  const changed = new Set<string>(readBefore);
  const inView = new Set<string>(groups.users.keys());
  for (const teamId of groupIds) {
    const listed = groups.members.get(teamId);
    // An assigned group whose members could not be read completely is left as it is.
    if (listed === undefined && assigned.has(teamId)) continue;
    const wanted = listed ?? new Set<string>();
    const entraSide = new Set<string>();
    for (const member of teams.get(teamId)?.members.values() ?? []) {
      inView.add(member.userId);
      if (member.source === 'entra') entraSide.add(member.userId);
    }
    for (const userId of wanted) if (!entraSide.has(userId)) changed.add(userId);
    for (const userId of entraSide) if (!wanted.has(userId)) changed.add(userId);
  }
  const { users } = await repository.read({
    kind: 'groups',
    teamIds: new Set(),
    userIds: changed,
    memberPartitions: false,
  });
  for (const userId of changed) readBefore.add(userId);
  return {
    teams,
    users,
    unreadUsers: new Set([...inView].filter((userId) => !changed.has(userId))),
  };
}
