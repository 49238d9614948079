/**
 * `groups/delta` as Graph serves it: a full round, then from its deltaLink only what changed,
 * paged with `@odata.nextLink` (`$skiptoken`) and ending with `@odata.deltaLink` (`$deltatoken`).
 * `$select` may include `members`; `$filter` takes up to 50 `id eq` clauses. Tokens expire after
 * the configured age or `expireDeltaTokens()`; a `replay` fault makes a round repeat the last one.
 */
import type { SimResponse } from '../sim-response.js';
import { changedRows, fullRoundRows, type RowOptions } from './delta-rows.js';
import { parseDeltaFilter } from './delta-filter.js';
import {
  decodeDeltaState,
  encodeDeltaState,
  type DeltaQuery,
  type DeltaState,
} from './delta-token.js';
import { parseSelect } from './objects.js';
import { pageSizeOf } from './paging.js';
import { graphError, json } from './responses.js';
import type { GraphContext, GraphRequest, Route } from './route.js';

function rowOptions(q: DeltaQuery): RowOptions {
  const selected = q.select?.split(',').map((p) => p.trim());
  const others = selected?.filter((p) => p !== 'members' && p.length > 0);
  return {
    fields:
      others === undefined
        ? undefined
        : parseSelect(
            new URLSearchParams({ $select: others.length > 0 ? others.join(',') : 'id' }),
            'group',
          ),
    withMembers: selected?.includes('members') === true,
    ids: q.ids === undefined ? undefined : new Set(q.ids),
  };
}

function freshQueryString(q: DeltaQuery): string {
  const parts: string[] = [];
  if (q.select !== undefined) parts.push(`$select=${q.select}`);
  if (q.ids !== undefined)
    parts.push(`$filter=${encodeURIComponent(q.ids.map((id) => `id eq '${id}'`).join(' or '))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function expiredTokenAnswer(ctx: GraphContext, q: DeltaQuery): SimResponse {
  ctx.feeds.deltaCounters.expiredTokens += 1;
  if (ctx.feeds.settings.deltaTokenExpiredAs === 'resyncRequired') {
    const r = graphError(
      410,
      'resyncRequired',
      'Resync required. The delta token is no longer valid: start a full round again from the Location URL.',
    );
    r.headers.location = `${ctx.graphEndpoint}/v1.0/groups/delta${freshQueryString(q)}`;
    return r;
  }
  return graphError(
    400,
    'syncStateNotFound',
    'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
  );
}

function isExpired(ctx: GraphContext, s: DeltaState): boolean {
  return (
    s.epoch !== ctx.feeds.deltaTokenEpoch ||
    ctx.feeds.clock.now() - s.issuedAt > ctx.feeds.settings.deltaTokenMaxAgeMs
  );
}

/** The state of the page asked for: from a skiptoken, a deltatoken, or a new full round. */
function requestedState(ctx: GraphContext, req: GraphRequest): DeltaState | SimResponse {
  const feeds = ctx.feeds;
  const skip = req.query.get('$skiptoken');
  const delta = req.query.get('$deltatoken');
  const base = { issuedAt: feeds.clock.now(), epoch: feeds.deltaTokenEpoch, after: undefined };
  if (skip !== null) {
    const s = decodeDeltaState('page', skip);
    return isExpired(ctx, s) ? expiredTokenAnswer(ctx, s) : s;
  }
  if (delta !== null) {
    const d = decodeDeltaState('delta', delta);
    if (isExpired(ctx, d)) return expiredTokenAnswer(ctx, d);
    feeds.deltaCounters.incrementalRounds += 1;
    const replay = feeds.faults.takeReplay();
    if (replay) feeds.deltaCounters.replays += 1;
    const from = replay ? d.previousFrom : d.from;
    return {
      ...d,
      ...base,
      // Replaying the first incremental round means replaying the full round before it.
      full: from === 0,
      from,
      to: ctx.directory.version,
      previousFrom: from,
      pageSize: req.query.has('$top') ? pageSizeOf(ctx, req.query) : d.pageSize,
    };
  }
  const query: DeltaQuery = {
    select: req.query.get('$select') ?? undefined,
    ids: parseDeltaFilter(req.query.get('$filter')),
  };
  rowOptions(query); // refuses an unknown $select property before anything else
  feeds.deltaCounters.initialRounds += 1;
  return {
    ...query,
    ...base,
    full: true,
    from: 0,
    to: ctx.directory.version,
    previousFrom: 0,
    pageSize: pageSizeOf(ctx, req.query),
  };
}

function groupsDelta(ctx: GraphContext, req: GraphRequest): SimResponse {
  const state = requestedState(ctx, req);
  if ('status' in state) return state;
  const options = rowOptions(state);
  const rows = (
    state.full
      ? fullRoundRows(ctx.directory, options)
      : changedRows(ctx.directory, state.from, state.to, options)
  )
    .filter(([id]) => state.after === undefined || id > state.after)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const page = rows.slice(0, state.pageSize);
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#groups`,
    value: page.map(([, render]) => render()),
  };
  const link = `${ctx.graphEndpoint}/v1.0/groups/delta`;
  const issued = { issuedAt: ctx.feeds.clock.now(), epoch: ctx.feeds.deltaTokenEpoch };
  const last = page.at(-1);
  if (rows.length > page.length && last !== undefined) {
    body['@odata.nextLink'] =
      `${link}?$skiptoken=${encodeDeltaState('page', { ...state, ...issued, after: last[0] })}`;
  } else {
    const next: DeltaState = {
      ...state,
      ...issued,
      full: false,
      from: state.to,
      previousFrom: state.from,
      after: undefined,
    };
    body['@odata.deltaLink'] = `${link}?$deltatoken=${encodeDeltaState('delta', next)}`;
  }
  ctx.feeds.deltaCounters.requests += 1;
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
