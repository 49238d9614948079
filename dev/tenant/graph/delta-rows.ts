/**
 * What one `groups/delta` round reports, in group id order: every group (a full round) or the
 * groups changed in (from, to] of the change log. Only direct membership is reported, so a change
 * inside a nested group shows as a change of that nested group, never of its parents.
 */
import type { Directory, GroupChange, GroupObject } from '../model.js';
import { renderGroup } from './objects.js';

export type DeltaRow = Record<string, unknown>;

export interface RowOptions {
  /** Group properties to render (undefined: Graph's default set); `id` always comes back. */
  fields: string[] | undefined;
  withMembers: boolean;
  ids: ReadonlySet<string> | undefined;
}

function odataType(kind: 'user' | 'group' | undefined): string {
  return kind === 'group' ? '#microsoft.graph.group' : '#microsoft.graph.user';
}

function groupRow(g: GroupObject, o: RowOptions): DeltaRow {
  return { ...renderGroup(g, o.fields, false), id: g.id };
}

export function fullRoundRows(dir: Directory, o: RowOptions): [string, () => DeltaRow][] {
  const groups = [...dir.groups.values()].filter((g) => o.ids?.has(g.id) ?? true);
  return groups.map((g) => [
    g.id,
    () => {
      const row = groupRow(g, o);
      if (o.withMembers) {
        row['members@delta'] = [...g.members].map((m) => ({
          '@odata.type': odataType(dir.isUser(m) ? 'user' : 'group'),
          id: m,
        }));
      }
      return row;
    },
  ]);
}

interface Touched {
  deleted: GroupChange['reason'];
  /** memberId → the last change to that membership in the window. */
  members: Map<string, GroupChange>;
}

export function changedRows(
  dir: Directory,
  from: number,
  to: number,
  o: RowOptions,
): [string, () => DeltaRow][] {
  const touched = new Map<string, Touched>();
  for (const c of dir.changes) {
    if (c.seq <= from || c.seq > to) continue;
    if (o.ids !== undefined && !o.ids.has(c.groupId)) continue;
    let t = touched.get(c.groupId);
    if (!t) {
      t = { deleted: undefined, members: new Map() };
      touched.set(c.groupId, t);
    }
    if (c.kind === 'deleted') t.deleted = c.reason ?? 'changed';
    else if (c.kind === 'upsert') t.deleted = undefined; // the id exists again (re-created)
    if (c.memberId !== undefined) t.members.set(c.memberId, c);
  }
  return [...touched].map(([gid, t]) => [gid, () => changedRow(dir, gid, t, o)]);
}

function changedRow(dir: Directory, gid: string, t: Touched, o: RowOptions): DeltaRow {
  const g = dir.groups.get(gid);
  if (!g || t.deleted !== undefined)
    return { id: gid, '@removed': { reason: t.deleted ?? 'changed' } };
  const row = groupRow(g, o);
  if (o.withMembers && t.members.size > 0) {
    row['members@delta'] = [...t.members.values()].map((c) =>
      c.kind === 'memberAdded'
        ? { '@odata.type': odataType(c.memberType), id: c.memberId }
        : {
            '@odata.type': odataType(c.memberType),
            id: c.memberId,
            '@removed': { reason: c.reason ?? 'deleted' },
          },
    );
  }
  return row;
}
