/**
 * `POST /v1.0/$batch`: up to 20 sub-requests, each counted, charged, faulted and answered on its
 * own (with `dependsOn` and Graph's Title-Case sub-response headers); the batch itself answers 200.
 */
import { routeInfo } from '../graph/handler.js';
import { graphError } from '../graph/responses.js';
import type { SimResponse } from '../sim-response.js';
import type { TenantState } from '../state.js';
import type { GraphCaller } from '../tokens.js';
import { delay, faultResponse, loopingPage } from './fault-injection.js';
import { meteredGraphCall } from './metered-graph.js';

export const MAX_BATCH = 20;

interface SubRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

interface SubResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Title-Case header names the way Graph writes them in `$batch` sub-responses. */
function batchHeaderName(name: string): string {
  if (name.startsWith('x-ms-')) return name;
  return name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** The payload's requests, or the 400 Graph answers for the whole batch. */
function validRequests(body: unknown): SubRequest[] | SimResponse {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0)
    return graphError(400, 'BadRequest', 'Invalid batch payload format.');
  if (requests.length > MAX_BATCH)
    return graphError(
      400,
      'BadRequest',
      `The number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_BATCH}.`,
    );
  const ids = new Set<string>();
  for (const r of requests as unknown[]) {
    const s = r as { id?: unknown; method?: unknown; url?: unknown };
    if (
      typeof s.id !== 'string' ||
      typeof s.method !== 'string' ||
      typeof s.url !== 'string' ||
      ids.has(s.id)
    ) {
      return graphError(
        400,
        'BadRequest',
        'Invalid batch payload format: each request needs a unique string id, a method and a url.',
      );
    }
    ids.add(s.id);
  }
  return requests as SubRequest[];
}

/**
 * The `$batch` answer; `cut`: a sub-request's `dropMidResponse` fault breaks the connection
 * halfway through it. 'drop' when a fault drops the whole batch connection.
 */
export type BatchAnswer = { response: SimResponse; cut: boolean } | 'drop';

/** Half of a sub-response's JSON body, as a string: what a `malformedBody` fault leaves. */
function malformed(r: SimResponse): SimResponse {
  if (r.body === undefined || typeof r.body === 'string') return r;
  const text = JSON.stringify(r.body);
  return { ...r, body: text.slice(0, Math.max(1, Math.floor(text.length / 2))) };
}

/** One sub-request's answer, or 'drop' when a fault drops the whole batch connection. */
async function answerSubRequest(
  state: TenantState,
  raw: SubRequest,
  statusById: ReadonlyMap<string, number>,
  caller: GraphCaller,
  onCut: () => void,
): Promise<SimResponse | 'drop'> {
  const method = raw.method.toUpperCase();
  const subHeaders: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw.headers ?? {})) subHeaders[k.toLowerCase()] = v;
  if (/^[a-z]+:\/\//i.test(raw.url)) {
    state.countRoute(`${method} (absolute url in $batch)`);
    return graphError(
      400,
      'BadRequest',
      'Invalid request URL: a $batch request url must be relative to the version (e.g. /users/{id}).',
    );
  }
  const rel = raw.url.startsWith('/') ? raw.url : `/${raw.url}`;
  const q = rel.indexOf('?');
  const path = q === -1 ? rel : rel.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rel.slice(q + 1));
  state.countRoute(routeInfo(method, path).key);
  const fault = state.faults.take(method, `/v1.0${rel}`, true);
  if (fault?.delayMs !== undefined) await delay(fault.delayMs);
  if (fault?.dropConnection === true) return 'drop';
  if (fault?.dropMidResponse === true) onCut();
  const failedDep = (raw.dependsOn ?? []).find((d) => (statusById.get(d) ?? 0) >= 400);
  const injected = fault ? faultResponse(fault, 'graph') : undefined;
  if (injected) return injected;
  if (failedDep !== undefined)
    return graphError(
      424,
      'FailedDependency',
      `Request ${raw.id} depends on request ${failedDep}, which failed.`,
    );
  if (raw.body !== undefined && subHeaders['content-type'] === undefined) {
    return graphError(
      400,
      'BadRequest',
      `Write request id : ${raw.id} does not contain Content-Type header or body.`,
    );
  }
  const answer = await meteredGraphCall(state, {
    method,
    path,
    query,
    headers: subHeaders,
    body: raw.body,
    caller,
  });
  if (fault?.loopNextLink === true) return loopingPage(answer, `${state.baseUrl}/v1.0${rel}`);
  return fault?.malformedBody === true && answer.status < 300 ? malformed(answer) : answer;
}

export async function answerBatch(
  state: TenantState,
  body: unknown,
  caller: GraphCaller,
): Promise<BatchAnswer> {
  const requests = validRequests(body);
  if (!Array.isArray(requests)) return { response: requests, cut: false };
  let cut = false;
  const statusById = new Map<string, number>();
  const responses: SubResponse[] = [];
  for (const raw of requests) {
    state.counters.batchSubRequests += 1;
    const r = await answerSubRequest(state, raw, statusById, caller, () => {
      cut = true;
    });
    if (r === 'drop') return 'drop';
    state.countStatus(r.status);
    statusById.set(raw.id, r.status);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) headers[batchHeaderName(k)] = v;
    headers['Cache-Control'] ??= 'no-cache';
    headers['OData-Version'] = '4.0';
    const entry: SubResponse = { id: raw.id, status: r.status, headers };
    if (r.body !== undefined && r.body !== '') entry.body = r.body;
    responses.push(entry);
  }
  return {
    response: {
      status: 200,
      headers: {
        'content-type':
          'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      },
      body: { responses },
    },
    cut,
  };
}
