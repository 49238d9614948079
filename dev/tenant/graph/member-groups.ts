/** A user's groups by function: `getMemberGroups`, `getMemberObjects`, `checkMemberGroups`. */
import type { SimResponse } from '../sim-response.js';
import { BadQuery, json } from './responses.js';
import { ID, meId, type GraphContext, type GraphRequest, type Route } from './route.js';

function bodyObject(req: GraphRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw new BadQuery('Request_BadRequest', 'The request body must be a JSON object.');
  }
  return req.body as Record<string, unknown>;
}

function memberGroups(ctx: GraphContext, req: GraphRequest, userId: string): SimResponse {
  const dir = ctx.directory;
  const user = dir.requireUser(userId);
  const body = bodyObject(req);
  if (typeof body.securityEnabledOnly !== 'boolean') {
    throw new BadQuery(
      'Request_BadRequest',
      "Invalid request: the parameter 'securityEnabledOnly' is required and must be a boolean.",
    );
  }
  const only = body.securityEnabledOnly;
  const ids = dir
    .transitiveParents(user.id)
    .filter((g) => !only || dir.groups.get(g)?.securityEnabled === true);
  return json(200, {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#Collection(Edm.String)`,
    value: ids,
  });
}

function checkMemberGroups(ctx: GraphContext, req: GraphRequest, userId: string): SimResponse {
  const dir = ctx.directory;
  const user = dir.requireUser(userId);
  const body = bodyObject(req);
  const ids = body.groupIds;
  if (!Array.isArray(ids) || !ids.every((x): x is string => typeof x === 'string')) {
    throw new BadQuery(
      'Request_BadRequest',
      "Invalid request: the parameter 'groupIds' is required and must be an array of strings.",
    );
  }
  if (ids.length > 20)
    throw new BadQuery('Request_BadRequest', 'The number of groupIds cannot exceed 20.');
  const mine = new Set(dir.transitiveParents(user.id));
  return json(200, {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#Collection(Edm.String)`,
    value: ids.filter((id) => mine.has(id.toLowerCase())),
  });
}

export const memberGroupRoutes: Route[] = [
  ...(['getMemberGroups', 'getMemberObjects', 'checkMemberGroups'] as const).map((fn): Route => ({
    method: 'POST',
    pattern: new RegExp(`^/(?:users/${ID}|(me))/${fn}$`),
    template: `/users/{id}/${fn}`,
    cost: fn === 'checkMemberGroups' ? 4 : 2,
    handler: (ctx, req, m) => {
      const id = meId(req, m[1] ?? m[2] ?? '');
      return fn === 'checkMemberGroups'
        ? checkMemberGroups(ctx, req, id)
        : memberGroups(ctx, req, id);
    },
  })),
];
