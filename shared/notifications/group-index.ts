/**
 * Which assigned groups a changed group belongs to: itself when assigned, and every assigned
 * group it is nested in. Built from Graph (the assigned groups, then each one's nested groups
 * through `$batch`) and kept in memory for GROUP_INDEX_MAX_AGE_MS. A stale index is still used
 * while a fresh one is read behind it, so the webhook never waits on Graph once warm; a cold
 * instance waits briefly, then lets the queue worker do the mapping.
 *
 * Freshness: a group nested into an assigned group less than the maximum age ago may have its
 * own changes dropped until the index is rebuilt; the parent's membership change itself arrives
 * as a notification for the parent, and delta rounds and the full pass catch the rest.
 */
import type { GroupMembership } from '../config/settings.js';
import type { DirectoryReader, NotificationGraph } from '../graph/index.js';
import type { Clock } from '../services.js';

export const GROUP_INDEX_MAX_AGE_MS = 5 * 60_000;

export interface GroupIndex {
  /** Assigned groups containing `groupId` (itself if assigned); empty when none does. */
  assignedGroupsOf(groupId: string): readonly string[];
  readonly builtAt: Date;
}

export interface AssignedGroupIndex {
  /** The index, if one is at hand within `waitMs`; a stale one is refreshed behind. */
  current(waitMs: number): Promise<GroupIndex | undefined>;
}

export async function readGroupIndex(
  directory: DirectoryReader,
  graph: Pick<NotificationGraph, 'nestedGroups'>,
  membership: GroupMembership,
  clock: Clock,
): Promise<GroupIndex> {
  const builtAt = clock();
  const assigned = (await directory.assignedGroups({ maxAgeSeconds: 0 })).map((group) =>
    group.id.toLowerCase(),
  );
  const parents = new Map<string, Set<string>>();
  const add = (groupId: string, parent: string) => {
    const set = parents.get(groupId) ?? new Set<string>();
    set.add(parent);
    parents.set(groupId, set);
  };
  for (const groupId of assigned) add(groupId, groupId);
  // With direct membership a nested group's members are not the team's: its changes do not count.
  if (membership === 'transitive' && assigned.length > 0) {
    for (const [parent, nested] of await graph.nestedGroups(assigned)) {
      if (nested.complete) for (const groupId of nested.groupIds) add(groupId, parent);
    }
  }
  return {
    builtAt,
    assignedGroupsOf: (groupId) => [...(parents.get(groupId.toLowerCase()) ?? [])].sort(),
  };
}

export function assignedGroupIndex(
  read: () => Promise<GroupIndex>,
  clock: Clock,
  onError: (error: unknown) => void = () => undefined,
  maxAgeMs = GROUP_INDEX_MAX_AGE_MS,
): AssignedGroupIndex {
  let latest: GroupIndex | undefined;
  let reading: Promise<GroupIndex | undefined> | undefined;

  const refresh = () => {
    reading ??= read()
      .then(
        (index) => {
          latest = index;
          return index;
        },
        (error: unknown) => {
          onError(error);
          return undefined;
        },
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };

  return {
    async current(waitMs) {
      if (latest !== undefined && clock().getTime() - latest.builtAt.getTime() < maxAgeMs) {
        return latest;
      }
      const fresh = refresh();
      if (latest !== undefined) return latest;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          resolve(undefined);
        }, waitMs);
        timer.unref();
      });
      try {
        return await Promise.race([fresh, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
