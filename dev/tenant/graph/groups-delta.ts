/** `groups/delta`: a full round, then what changed since a delta link (renames, members, deletions). */
import type { SimResponse } from '../sim-response.js';
import { parseSelect, renderGroup } from './objects.js';
import { decodeSkipToken, encodeSkipToken, nextLink, pageSizeOf } from './paging.js';
import { json } from './responses.js';
import type { GraphContext, GraphRequest, Route } from './route.js';

function groupsDelta(ctx: GraphContext, req: GraphRequest): SimResponse {
  const dir = ctx.directory;
  const rawSelect = req.query.get('$select');
  const selected = rawSelect?.split(',').map((p) => p.trim());
  const withMembers = selected?.includes('members') === true;
  const others = selected?.filter((p) => p !== 'members' && p.length > 0);
  const fields =
    others === undefined
      ? undefined
      : parseSelect(
          new URLSearchParams({ $select: others.length > 0 ? others.join(',') : 'id' }),
          'group',
        );
  const skip = req.query.get('$skiptoken');
  const delta = req.query.get('$deltatoken');
  let from = 0;
  let to = dir.version;
  let offset = 0;
  if (skip !== null) {
    const s = decodeSkipToken(skip);
    from = s.f ?? 0;
    to = s.t ?? dir.version;
    offset = s.o ?? 0;
  } else if (delta !== null) {
    from = decodeSkipToken(delta).v ?? 0;
  }
  type Row = Record<string, unknown>;
  const rows: Row[] = [];
  if (from === 0) {
    for (const g of dir.groups.values()) {
      const row = renderGroup(g, fields, false);
      if (withMembers)
        row['members@delta'] = [...g.members].map((m) => ({
          '@odata.type': dir.isUser(m) ? '#microsoft.graph.user' : '#microsoft.graph.group',
          id: m,
        }));
      rows.push(row);
    }
  } else {
    const touched = new Map<string, Map<string, boolean>>();
    const deleted = new Set<string>();
    for (const c of dir.changes) {
      if (c.seq <= from || c.seq > to) continue;
      let m = touched.get(c.groupId);
      if (!m) {
        m = new Map();
        touched.set(c.groupId, m);
      }
      if (c.kind === 'deleted') deleted.add(c.groupId);
      if (c.memberId !== undefined) m.set(c.memberId, c.kind === 'memberAdded');
    }
    for (const [gid, members] of touched) {
      const g = dir.groups.get(gid);
      if (!g || deleted.has(gid)) {
        rows.push({ id: gid, '@removed': { reason: 'changed' } });
        continue;
      }
      const row = renderGroup(g, fields, false);
      if (withMembers && members.size > 0) {
        row['members@delta'] = [...members].map(([m, added]) =>
          added
            ? {
                '@odata.type': dir.isUser(m) ? '#microsoft.graph.user' : '#microsoft.graph.group',
                id: m,
              }
            : {
                '@odata.type': '#microsoft.graph.directoryObject',
                id: m,
                '@removed': { reason: 'deleted' },
              },
        );
      }
      rows.push(row);
    }
  }
  const size = pageSizeOf(ctx, req.query);
  const slice = rows.slice(offset, offset + size);
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#groups`,
    value: slice,
  };
  if (offset + size < rows.length) {
    body['@odata.nextLink'] = nextLink(
      ctx,
      req.path,
      req.query,
      encodeSkipToken({ f: from, t: to, o: offset + size }),
    );
  } else {
    const q = new URLSearchParams();
    const sel = req.query.get('$select');
    if (sel !== null) q.set('$select', sel);
    const base = `${ctx.graphEndpoint}/v1.0/groups/delta?`;
    body['@odata.deltaLink'] =
      `${base}${sel !== null ? `$select=${sel}&` : ''}$deltatoken=${encodeSkipToken({ v: to })}`;
  }
  return json(200, body);
}

export const groupsDeltaRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/groups\/delta$/,
    template: '/groups/delta',
    cost: 1,
    handler: groupsDelta,
  },
];
