/**
 * Which cursors a delta round reads, drops and starts, and which assigned groups a change
 * touches. Pure: the round (delta-round.ts) does the I/O.
 *
 * The groups followed are the assigned ones and, with transitive membership, every group nested
 * in them (learned from the feed itself: `members@delta` names member groups). A cursor's filter
 * is fixed by its link, so a cursor that covers a group no longer followed is dropped and the
 * groups it still had get a new cursor; new groups get new cursors of at most 50.
 */
import type { GroupDelta } from '../graph/delta.js';
import { MAX_GROUPS_PER_CURSOR, type DeltaCursor } from './delta-model.js';

export interface CursorLayout<C extends DeltaCursor> {
  readonly keep: readonly C[];
  readonly drop: readonly C[];
  /** Groups that need a new cursor, in chunks of at most 50. */
  readonly start: readonly (readonly string[])[];
  /** Every group followed. */
  readonly followed: ReadonlySet<string>;
}

/** parent → its direct member groups, over every cursor. */
export function memberGroupEdges(
  cursors: readonly DeltaCursor[],
): Map<string, ReadonlySet<string>> {
  const edges = new Map<string, ReadonlySet<string>>();
  for (const cursor of cursors) {
    for (const [parent, children] of Object.entries(cursor.memberGroups)) {
      edges.set(parent, new Set([...(edges.get(parent) ?? []), ...children]));
    }
  }
  return edges;
}

export function followedGroups(
  assigned: ReadonlySet<string>,
  edges: ReadonlyMap<string, ReadonlySet<string>>,
  transitive: boolean,
): Set<string> {
  const followed = new Set(assigned);
  if (!transitive) return followed;
  const queue = [...assigned];
  for (let parent = queue.pop(); parent !== undefined; parent = queue.pop()) {
    for (const child of edges.get(parent) ?? []) {
      if (followed.has(child)) continue;
      followed.add(child);
      queue.push(child);
    }
  }
  return followed;
}

export function chunked(ids: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (let index = 0; index < ids.length; index += MAX_GROUPS_PER_CURSOR) {
    chunks.push(ids.slice(index, index + MAX_GROUPS_PER_CURSOR));
  }
  return chunks;
}

export function layoutCursors<C extends DeltaCursor>(
  assigned: ReadonlySet<string>,
  cursors: readonly C[],
  transitive: boolean,
): CursorLayout<C> {
  const followed = followedGroups(assigned, memberGroupEdges(cursors), transitive);
  const keep = cursors.filter((cursor) => cursor.groupIds.every((id) => followed.has(id)));
  const drop = cursors.filter((cursor) => !keep.includes(cursor));
  const covered = new Set(keep.flatMap((cursor) => cursor.groupIds));
  const start = chunked([...followed].filter((id) => !covered.has(id)).sort());
  return { keep, drop, start, followed };
}

/** A cursor's member groups after a round: a first round lists them all, a later one the changes. */
export function nextMemberGroups(
  previous: DeltaCursor['memberGroups'],
  groups: readonly GroupDelta[],
  firstRound: boolean,
): Record<string, string[]> {
  const next: Record<string, string[]> = firstRound
    ? {}
    : Object.fromEntries(Object.entries(previous).map(([id, children]) => [id, [...children]]));
  for (const group of groups) {
    if (group.removed) {
      next[group.groupId] = [];
      continue;
    }
    const children = new Set(firstRound ? [] : (next[group.groupId] ?? []));
    for (const id of group.memberGroupsAdded) children.add(id);
    for (const id of group.memberGroupsRemoved) children.delete(id);
    next[group.groupId] = [...children].sort();
  }
  return Object.fromEntries(Object.entries(next).filter(([, children]) => children.length > 0));
}

/** The assigned groups a change of `changed` reaches: itself if assigned, and every assigned ancestor. */
export function affectedAssignedGroups(
  changed: Iterable<string>,
  edges: ReadonlyMap<string, ReadonlySet<string>>,
  assigned: ReadonlySet<string>,
): Set<string> {
  const parents = new Map<string, string[]>();
  for (const [parent, children] of edges) {
    for (const child of children) parents.set(child, [...(parents.get(child) ?? []), parent]);
  }
  const affected = new Set<string>();
  const seen = new Set<string>();
  const queue = [...changed];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (assigned.has(id)) affected.add(id);
    queue.push(...(parents.get(id) ?? []));
  }
  return affected;
}
