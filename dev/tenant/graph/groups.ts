/** Groups and their members: `/groups`, `/groups/{id}`, `members`, `transitiveMembers`, casts and `$count`. */
import type { SimResponse } from '../sim-response.js';
import { directoryObjects } from './directory-objects.js';
import { parseSelect, renderGroup } from './objects.js';
import { page } from './paging.js';
import { BadQuery, json } from './responses.js';
import {
  CAST_GROUP,
  CAST_USER,
  ID,
  type GraphContext,
  type GraphRequest,
  type Route,
} from './route.js';

function countOf(req: GraphRequest, n: number): SimResponse {
  if ((req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual') {
    throw new BadQuery(
      'Request_BadRequest',
      'Count is not currently supported without the ConsistencyLevel: eventual header.',
    );
  }
  return { status: 200, headers: { 'content-type': 'text/plain;charset=utf-8' }, body: String(n) };
}

export const groupRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/groups$/,
    template: '/groups',
    cost: 1,
    handler: (ctx, req) => {
      const select = parseSelect(req.query, 'group');
      return page(
        ctx,
        req,
        [...ctx.directory.groups.values()],
        (g) => renderGroup(g, select, false),
        'groups',
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/groups/${ID}$`),
    template: '/groups/{id}',
    cost: 1,
    handler: (ctx, req, m) => {
      const g = ctx.directory.requireGroup((m[1] ?? '').toLowerCase());
      const select = parseSelect(req.query, 'group');
      return json(200, {
        '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#groups/$entity`,
        ...renderGroup(g, select, false),
      });
    },
  },
  ...(['members', 'transitiveMembers'] as const).flatMap((rel): Route[] => {
    const cost = rel === 'members' ? 3 : 5;
    const ids = (ctx: GraphContext, id: string): string[] => {
      const g = ctx.directory.requireGroup(id.toLowerCase());
      return rel === 'members' ? [...g.members] : ctx.directory.transitiveMembers(g.id);
    };
    return [
      { cast: undefined, suffix: '' },
      { cast: 'user' as const, suffix: CAST_USER },
      { cast: 'group' as const, suffix: CAST_GROUP },
    ].flatMap(({ cast, suffix }): Route[] => [
      {
        method: 'GET',
        pattern: new RegExp(`^/groups/${ID}/${rel}${suffix.replace(/\./g, '\\.')}$`),
        template: `/groups/{id}/${rel}${suffix}`,
        cost,
        handler: (ctx, req, m) =>
          directoryObjects(
            ctx,
            req,
            ids(ctx, m[1] ?? ''),
            cast,
            cast === undefined ? 'directoryObjects' : `${cast}s`,
          ),
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/groups/${ID}/${rel}${suffix.replace(/\./g, '\\.')}/\\$count$`),
        template: `/groups/{id}/${rel}${suffix}/$count`,
        cost,
        handler: (ctx, req, m) => {
          const all = ids(ctx, m[1] ?? '');
          const n =
            cast === undefined
              ? all.length
              : all.filter((x) => ctx.directory.isUser(x) === (cast === 'user')).length;
          return countOf(req, n);
        },
      },
    ]);
  }),
];
