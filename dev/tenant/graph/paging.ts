/**
 * Paging like Graph's: `$top` (1..999), an opaque `$skiptoken`, and an absolute `@odata.nextLink`
 * that keeps the rest of the query.
 */
import type { SimResponse } from '../sim-response.js';
import { BadQuery, json } from './responses.js';
import type { GraphContext, GraphRequest } from './route.js';

export const MAX_TOP = 999;

const SKIP_PREFIX = 'RFNwdAIA';

export function encodeSkipToken(state: Record<string, number>): string {
  return SKIP_PREFIX + Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeSkipToken(token: string): Record<string, number> {
  const bad = new BadQuery(
    'Directory_ExpiredPageToken',
    'The specified page token value has expired and can no longer be included in your request.',
  );
  if (!token.startsWith(SKIP_PREFIX)) throw bad;
  try {
    const v = JSON.parse(
      Buffer.from(token.slice(SKIP_PREFIX.length), 'base64url').toString('utf8'),
    ) as unknown;
    if (typeof v !== 'object' || v === null) throw bad;
    const state = v as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(state)) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad;
      out[k] = n;
    }
    return out;
  } catch {
    throw bad;
  }
}

export function pageSizeOf(ctx: GraphContext, query: URLSearchParams): number {
  const top = query.get('$top');
  if (top === null) return ctx.pageSize;
  const n = Number(top);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) {
    throw new BadQuery(
      'Request_UnsupportedQuery',
      `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_TOP} inclusive.`,
    );
  }
  return n;
}

/** Builds an absolute next link like Graph's: same path and query, plus an opaque $skiptoken. */
export function nextLink(
  ctx: GraphContext,
  path: string,
  query: URLSearchParams,
  token: string,
): string {
  const parts: string[] = [];
  for (const [k, v] of query) {
    if (k === '$skiptoken' || k === '$deltatoken') continue;
    parts.push(`${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  }
  parts.push(`$skiptoken=${token}`);
  return `${ctx.graphEndpoint}/v1.0${path}?${parts.join('&')}`;
}

export function page<T>(
  ctx: GraphContext,
  req: GraphRequest,
  items: T[],
  render: (item: T) => Record<string, unknown>,
  context: string,
): SimResponse {
  const size = pageSizeOf(ctx, req.query);
  const skip = req.query.get('$skiptoken');
  const offset = skip === null ? 0 : (decodeSkipToken(skip).o ?? 0);
  const slice = items.slice(offset, offset + size);
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#${context}`,
  };
  if (offset + size < items.length)
    body['@odata.nextLink'] = nextLink(
      ctx,
      req.path,
      req.query,
      encodeSkipToken({ o: offset + size }),
    );
  body.value = slice.map(render);
  return json(200, body);
}
