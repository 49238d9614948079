/**
 * Microsoft Graph played by an injected `fetch`, for tests of the reader's paging and retries that
 * need no HTTPS server: a small directory answers each request and each `$batch` sub-request,
 * faults answer in its place a given number of times, and every request is recorded with the time
 * it arrived (the fake clock's, under `vi.useFakeTimers()`).
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { vi } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import {
  createDirectoryReader,
  type DirectoryReader,
  type DirectoryReaderOptions,
  type EntraUser,
} from '../../shared/graph/index.js';

export const GRAPH_ENDPOINT = 'https://graph.fake.test';
export const VERSION_ROOT = `${GRAPH_ENDPOINT}/v1.0`;
export const SERVICE_PRINCIPAL_ID = '5e0f1b2c-0000-4000-8000-000000000001';

export interface FakeRequest {
  readonly method: string;
  /** Below `/v1.0`, with the query: `/users/{id}?$select=id`. */
  readonly url: string;
  readonly body: unknown;
  readonly inBatch: boolean;
  /** `Date.now()` when it arrived. */
  readonly at: number;
}

export interface FakeAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** `drop`: the connection fails; `garble`: a 200 whose JSON is cut in half (top-level only). */
export type FakeOutcome = FakeAnswer | 'drop' | 'garble';

/** Graph's error answer; `Retry-After` only when `retryAfterSeconds` is given. */
export function graphError(status: number, code: string, retryAfter?: number | string): FakeAnswer {
  return {
    status,
    headers: retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
    body: { error: { code, message: `Fake ${code}.` } },
  };
}

export interface FakeDirectory {
  readonly users: readonly EntraUser[];
  /** Group id → ids of its user members (the fake does not nest: transitive = direct). */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** Group ids assigned to the app. */
  readonly assigned: readonly string[];
}

interface Fault {
  readonly pattern: string | RegExp;
  readonly outcome: FakeOutcome;
  readonly inBatch: boolean;
  remaining: number;
}

function matches(pattern: string | RegExp, url: string): boolean {
  return typeof pattern === 'string' ? url.includes(pattern) : pattern.test(url);
}

function page(
  url: URL,
  items: readonly unknown[],
  defaultTop = 100,
): FakeAnswer & { body: Record<string, unknown> } {
  const top = Number(url.searchParams.get('$top') ?? defaultTop);
  const offset = Number(url.searchParams.get('$skiptoken') ?? 0);
  const body: Record<string, unknown> = { value: items.slice(offset, offset + top) };
  if (offset + top < items.length) {
    const next = new URL(url);
    next.searchParams.set('$skiptoken', String(offset + top));
    body['@odata.nextLink'] = next.href;
  }
  return { status: 200, body };
}

export class FakeGraph {
  readonly requests: FakeRequest[] = [];
  private readonly faults: Fault[] = [];

  constructor(private readonly directory: FakeDirectory) {}

  /** The next `times` requests whose url contains (or matches) `pattern` get `outcome`. */
  fail(
    pattern: string | RegExp,
    outcome: FakeOutcome,
    { times = 1, inBatch = true }: { times?: number; inBatch?: boolean } = {},
  ): void {
    this.faults.push({ pattern, outcome, inBatch, remaining: times });
  }

  /** Requests (sub-requests included) whose url contains (or matches) `pattern`. */
  received(pattern: string | RegExp): FakeRequest[] {
    return this.requests.filter((request) => matches(pattern, request.url));
  }

  /** HTTP requests that were `$batch` envelopes. */
  get batches(): number {
    return this.received('/$batch').filter((request) => !request.inBatch).length;
  }

  readonly fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const request = this.record(
      init?.method ?? 'GET',
      href.slice(VERSION_ROOT.length),
      body,
      false,
    );
    const outcome = this.takeFault(request) ?? this.answerTopLevel(request);
    if (outcome === 'drop') {
      return Promise.reject(
        new TypeError('fetch failed', { cause: new Error('other side closed') }),
      );
    }
    if (outcome === 'garble') {
      const real = this.answerTopLevel(request);
      const text = JSON.stringify(real === 'drop' ? {} : real.body);
      return Promise.resolve(
        new Response(text.slice(0, text.length / 2), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    }
    return Promise.resolve(
      new Response(outcome.body === undefined ? null : JSON.stringify(outcome.body), {
        status: outcome.status,
        headers: { 'content-type': 'application/json', ...outcome.headers },
      }),
    );
  };

  private record(method: string, url: string, body: unknown, inBatch: boolean): FakeRequest {
    const request = { method: method.toUpperCase(), url, body, inBatch, at: Date.now() };
    this.requests.push(request);
    return request;
  }

  private takeFault(request: FakeRequest): FakeOutcome | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && f.inBatch === request.inBatch && matches(f.pattern, request.url),
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    return fault.outcome;
  }

  private answerTopLevel(request: FakeRequest): FakeAnswer | 'drop' {
    if (request.url !== '/$batch') return this.answer(request);
    const subRequests = (
      request.body as { requests: { id: string; method: string; url: string; body?: unknown }[] }
    ).requests;
    const responses = [];
    for (const sub of subRequests) {
      const subRequest = this.record(sub.method, sub.url, sub.body, true);
      const outcome = this.takeFault(subRequest) ?? this.answer(subRequest);
      if (outcome === 'drop') return 'drop';
      if (outcome === 'garble') throw new Error('garble applies to top-level requests only');
      responses.push({
        id: sub.id,
        status: outcome.status,
        headers: outcome.headers ?? {},
        body: outcome.body,
      });
    }
    return { status: 200, body: { responses } };
  }

  /** The directory's answer to one request. */
  private answer(request: FakeRequest): FakeAnswer {
    const url = new URL(`${VERSION_ROOT}${request.url}`);
    const path = url.pathname.slice('/v1.0'.length);
    const { users, groups, assigned } = this.directory;
    const user = (id: string) => users.find((candidate) => candidate.id === id);
    const groupsOf = (id: string) => Object.keys(groups).filter((g) => groups[g]?.includes(id));
    const route = (pattern: RegExp) => pattern.exec(path)?.[1];

    if (path === `/servicePrincipals/${SERVICE_PRINCIPAL_ID}/appRoleAssignedTo`) {
      const rows = assigned.map((id) => ({
        principalId: id,
        principalType: 'Group',
        principalDisplayName: `Group ${id}`,
        appRoleId: '00000000-0000-0000-0000-000000000000',
      }));
      return page(url, rows);
    }
    const groupId = route(
      /^\/groups\/([^/]+)\/(?:transitiveMembers|members)\/microsoft\.graph\.user$/,
    );
    if (groupId !== undefined) {
      const members = groups[groupId];
      if (members === undefined) return graphError(404, 'Request_ResourceNotFound');
      return page(url, members.map(user));
    }
    const memberGroupsOf = route(/^\/users\/([^/]+)\/getMemberGroups$/);
    if (memberGroupsOf !== undefined && request.method === 'POST') {
      return { status: 200, body: { value: groupsOf(memberGroupsOf) } };
    }
    const memberOf = route(/^\/users\/([^/]+)\/memberOf\/microsoft\.graph\.group$/);
    if (memberOf !== undefined)
      return page(
        url,
        groupsOf(memberOf).map((id) => ({ id })),
      );
    const userId = route(/^\/users\/([^/]+)$/);
    const found = userId === undefined ? undefined : user(userId);
    if (found !== undefined) return { status: 200, body: found };
    return graphError(404, 'Request_ResourceNotFound');
  }
}

const fakeCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: 'fake-graph-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** The real reader (Graph SDK, runner, listings) with `graph` as its transport. */
export function fakeReader(
  graph: FakeGraph,
  options: DirectoryReaderOptions = {},
): DirectoryReader {
  const settings = loadSettings({
    ENTRA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    ENTRA_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
    ENTRA_CLIENT_SECRET: 'unused',
    ENTRA_SERVICE_PRINCIPAL_ID: SERVICE_PRINCIPAL_ID,
    GRAPH_ENDPOINT,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
  });
  return createDirectoryReader(settings, {
    credential: fakeCredential,
    fetch: graph.fetch,
    ...options,
  });
}

/**
 * Runs the fake clock until `promise` settles, so retries wait without time passing; resolves or
 * rejects as the promise does.
 */
export async function withFakeClock<T>(promise: Promise<T>): Promise<T> {
  let settled = false as boolean;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let steps = 0; !settled; steps += 1) {
    if (steps > 10_000) throw new Error('the promise did not settle');
    await vi.advanceTimersToNextTimerAsync();
  }
  return promise;
}

/** The gaps between consecutive times: how long the reader waited before each retry. */
export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, index) => time - (times[index] ?? time));
}
