/**
 * One Graph request, top-level or inside `$batch`, through the resource-unit budget: charged,
 * answered 429 when the budget is spent, and marked with the units it cost.
 */
import { handleGraph, routeInfo } from '../graph/handler.js';
import { graphError } from '../graph/responses.js';
import { resourceUnits } from '../resource-budget.js';
import type { SimResponse } from '../sim-response.js';
import type { TenantState } from '../state.js';
import type { GraphCaller } from '../tokens.js';

export interface GraphCall {
  method: string;
  /** Below `/v1.0`, without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  caller: GraphCaller;
}

/** Charges the budget; a 429 response when it is spent. */
function charge(
  state: TenantState,
  cost: number,
): SimResponse | { units: number; fraction: number | undefined } {
  const meter = state.meter;
  if (!meter) {
    state.counters.resourceUnitsSpent += cost;
    return { units: cost, fraction: undefined };
  }
  const r = meter.consume(cost);
  if (!r.ok) {
    state.counters.throttled += 1;
    const e = graphError(
      429,
      'TooManyRequests',
      `Too many requests: the resource-unit budget of ${meter.limit} per ${meter.windowMs / 1000} s is spent. Retry after ${r.retryAfterSeconds} seconds.`,
    );
    e.headers['retry-after'] = String(r.retryAfterSeconds);
    e.headers['x-ms-throttle-scope'] =
      `Tenant_Application/ReadWrite/${state.directory.app.clientId}/${state.directory.tenantId}`;
    e.headers['x-ms-throttle-information'] = 'ResourceUnitLimitExceeded';
    return e;
  }
  state.counters.resourceUnitsSpent += cost;
  return { units: cost, fraction: r.usedFraction };
}

export async function meteredGraphCall(state: TenantState, call: GraphCall): Promise<SimResponse> {
  const info = routeInfo(call.method, call.path);
  const charged = charge(state, resourceUnits(info.baseCost, call.query));
  if ('status' in charged) return charged;
  const r = await handleGraph(state, {
    method: call.method,
    path: call.path,
    query: call.query,
    headers: call.headers,
    body: call.body,
    callerOid: call.caller.oid,
    callerKind: call.caller.kind,
  });
  r.headers['x-ms-resource-unit'] = String(charged.units);
  if (charged.fraction !== undefined && charged.fraction > 0.8)
    r.headers['x-ms-throttle-limit-percentage'] = charged.fraction.toFixed(1);
  return r;
}
