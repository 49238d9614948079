/** Members of assigned groups, read from Graph, as the planner's desired members and profiles. */
import type { GroupMembership } from '../config/settings.js';
import type { DirectoryReader } from '../graph/directory.js';
import type { UserProfile } from './model.js';
import { profileFromEntra } from './profile.js';
import type { IncompleteGroup } from './run-records.js';

export interface DesiredMembers {
  /** Members of each group read completely; a group missing here is left as it is. */
  readonly members: Map<string, ReadonlySet<string>>;
  readonly users: Map<string, UserProfile | null>;
  readonly incompleteGroups: IncompleteGroup[];
}

export async function readGroupMembers(
  directory: DirectoryReader,
  groupIds: readonly string[],
  membership: GroupMembership,
  onProgress?: (groupsDone: number, groupsTotal: number) => void,
): Promise<DesiredMembers> {
  const lists = await directory.groupMembers(groupIds, membership, onProgress);
  const members = new Map<string, ReadonlySet<string>>();
  const users = new Map<string, UserProfile | null>();
  const incompleteGroups: IncompleteGroup[] = [];
  for (const groupId of groupIds) {
    const listing = lists.get(groupId);
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
  return { members, users, incompleteGroups };
}
