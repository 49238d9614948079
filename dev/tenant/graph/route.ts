/** What a Graph route is: a method and path pattern, its resource-unit cost and its handler. */
import type { TenantFeeds } from '../feeds.js';
import type { Directory } from '../model.js';
import type { SimResponse } from '../sim-response.js';
import { BadQuery } from './responses.js';

export interface GraphRequest {
  method: string;
  /** Path below `/v1.0`, starting with `/`, without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  /** Who called (from the bearer token). */
  callerOid: string;
  callerKind: 'app' | 'user';
}

export interface GraphContext {
  directory: Directory;
  graphEndpoint: string;
  pageSize: number;
  /** Delta tokens, subscriptions and notifications. */
  feeds: TenantFeeds;
}

export interface Route {
  method: string;
  pattern: RegExp;
  template: string;
  cost: number;
  handler: (
    ctx: GraphContext,
    req: GraphRequest,
    m: RegExpExecArray,
  ) => SimResponse | Promise<SimResponse>;
}

/** One path segment that is an id (ids never contain these characters). */
export const ID = "([^/()']+)";
export const CAST_USER = '/microsoft.graph.user';
export const CAST_GROUP = '/microsoft.graph.group';

/** The user id a `/users/{id}` or `/me` route names (`me` is the signed-in caller). */
export function meId(req: GraphRequest, id: string): string {
  if (id.toLowerCase() !== 'me') return decodeURIComponent(id);
  if (req.callerKind !== 'user') {
    throw new BadQuery(
      'BadRequest',
      '/me request is only valid with delegated authentication flow.',
    );
  }
  return req.callerOid;
}
