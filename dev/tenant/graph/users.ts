/** Users: `/users`, `/users/{id}` (and `/me`), `memberOf` and `transitiveMemberOf`. */
import { directoryObjects } from './directory-objects.js';
import { parseSelect, renderUser } from './objects.js';
import { page } from './paging.js';
import { json } from './responses.js';
import { CAST_GROUP, ID, meId, type Route } from './route.js';

export const userRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/users$/,
    template: '/users',
    cost: 2,
    handler: (ctx, req) => {
      const select = parseSelect(req.query, 'user');
      return page(
        ctx,
        req,
        [...ctx.directory.users.values()],
        (u) => renderUser(u, select, false),
        'users',
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/(?:users/${ID}|(me))$`),
    template: '/users/{id}',
    cost: 1,
    handler: (ctx, req, m) => {
      const u = ctx.directory.requireUser(meId(req, m[1] ?? m[2] ?? ''));
      const select = parseSelect(req.query, 'user');
      return json(200, {
        '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#users/$entity`,
        ...renderUser(u, select, false),
      });
    },
  },
  ...(['memberOf', 'transitiveMemberOf'] as const).flatMap((rel): Route[] =>
    [
      { cast: undefined, suffix: '' },
      { cast: 'group' as const, suffix: CAST_GROUP },
    ].map(({ cast, suffix }): Route => ({
      method: 'GET',
      pattern: new RegExp(`^/(?:users/${ID}|(me))/${rel}${suffix.replace(/\./g, '\\.')}$`),
      template: `/users/{id}/${rel}${suffix}`,
      cost: 2,
      handler: (ctx, req, m) => {
        const u = ctx.directory.requireUser(meId(req, m[1] ?? m[2] ?? ''));
        const groups =
          rel === 'memberOf'
            ? ctx.directory.directParents(u.id)
            : ctx.directory.transitiveParents(u.id);
        return directoryObjects(
          ctx,
          req,
          groups,
          cast,
          cast === undefined ? 'directoryObjects' : 'groups',
        );
      },
    })),
  ),
];
