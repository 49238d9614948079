/**
 * The part of Microsoft Graph v1.0 this service uses, answered from the in-memory directory.
 * One function, `handleGraph`, serves both top-level requests and `$batch` sub-requests.
 */
import { randomUUID } from 'node:crypto';
import { DirectoryError } from '../model.js';
import type { SimResponse } from '../sim-response.js';
import { applicationRoutes } from './applications.js';
import { groupRoutes } from './groups.js';
import { groupsDeltaRoutes } from './groups-delta.js';
import { memberGroupRoutes } from './member-groups.js';
import { BadQuery, graphError } from './responses.js';
import type { GraphContext, GraphRequest, Route } from './route.js';
import { servicePrincipalRoutes } from './service-principals.js';
import { subscriptionRoutes } from './subscriptions.js';
import { userRoutes } from './users.js';

export type { GraphContext, GraphRequest } from './route.js';

export interface RouteInfo {
  /** Normalised route, e.g. `GET /v1.0/groups/{id}/transitiveMembers`. */
  key: string;
  /** Base resource-unit cost before query adjustments (Graph's identity and access table). */
  baseCost: number;
}

// Order matters: `/groups/delta` must be tried before `/groups/{id}`.
const ROUTES: Route[] = [
  ...servicePrincipalRoutes,
  ...applicationRoutes,
  ...groupsDeltaRoutes,
  ...groupRoutes,
  ...userRoutes,
  ...memberGroupRoutes,
  ...subscriptionRoutes,
];

const KNOWN_QUERY = new Set(['$select', '$top', '$skiptoken', '$filter', '$count', '$deltatoken']);

/** Finds the route for a method and path (below /v1.0); undefined when Graph would answer 404/405. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; match: RegExpExecArray } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, match: m };
  }
  return undefined;
}

/** The normalised route key and base cost for counters and the throttling budget. */
export function routeInfo(method: string, path: string): RouteInfo {
  const found = matchRoute(method, path);
  if (found) return { key: `${method} /v1.0${found.route.template}`, baseCost: found.route.cost };
  const norm = path.replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi,
    '{id}',
  );
  return { key: `${method} /v1.0${norm} (unknown)`, baseCost: 1 };
}

/** Answers one Graph request (top-level or inside `$batch`). Never throws. */
export async function handleGraph(ctx: GraphContext, req: GraphRequest): Promise<SimResponse> {
  const clientRequestId = req.headers['client-request-id'];
  try {
    for (const k of req.query.keys()) {
      if (k.startsWith('$') && !KNOWN_QUERY.has(k)) {
        throw new BadQuery(
          'BadRequest',
          `Query option '${k}' is not supported by the simulated tenant.`,
        );
      }
    }
    const found = matchRoute(req.method, req.path);
    if (!found) {
      const other = ROUTES.some((r) => r.pattern.test(req.path));
      if (other)
        return graphError(
          405,
          'Request_BadRequest',
          'Specified HTTP method is not allowed for the request uri.',
          clientRequestId,
        );
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource not found for the segment '${req.path.split('/')[1] ?? ''}'.`,
        clientRequestId,
      );
    }
    const res = await found.route.handler(ctx, req, found.match);
    res.headers['request-id'] ??= randomUUID();
    if (clientRequestId !== undefined) res.headers['client-request-id'] = clientRequestId;
    return res;
  } catch (err) {
    if (err instanceof DirectoryError || err instanceof BadQuery) {
      return graphError(err.status, err.code, err.message, clientRequestId);
    }
    return graphError(500, 'InternalServerError', (err as Error).message, clientRequestId);
  }
}
