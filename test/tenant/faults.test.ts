import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, appToken, graphClientFor, graphFetch, type GraphErrorBody } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE, { pageSize: 2 });
let token = '';

beforeAll(async () => {
  token = await appToken(sim);
});
beforeEach(() => {
  sim.faults.clear();
  sim.configure({ throttling: false });
  sim.resetCounters();
});

interface BatchResponse {
  responses: {
    id: string;
    status: number;
    headers: Record<string, string>;
    body?: Record<string, unknown>;
  }[];
}

async function batch(requests: unknown[]): Promise<Response> {
  return graphFetch(sim, token, '/$batch', {
    method: 'POST',
    body: JSON.stringify({ requests }),
  });
}

describe('$batch', () => {
  it('answers each sub-request with its own status and headers, absolute next links included', async () => {
    const res = await batch([
      { id: '1', method: 'GET', url: `/groups/${S.evals}/members?$select=id` },
      { id: '2', method: 'GET', url: `/groups/00000000-0000-0000-0000-00000000dead` },
      {
        id: '3',
        method: 'POST',
        url: `/users/${S.ava}/getMemberGroups`,
        headers: { 'Content-Type': 'application/json' },
        body: { securityEnabledOnly: true },
      },
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as BatchResponse;
    const byId = new Map(body.responses.map((r) => [r.id, r]));
    expect(byId.get('1')?.status).toBe(200);
    expect(byId.get('1')?.body?.['@odata.nextLink']).toMatch(
      new RegExp(`^${sim.graphEndpoint}/v1\\.0/groups/${S.evals}/members\\?`),
    );
    expect(byId.get('2')?.status).toBe(404);
    expect((byId.get('2')?.body as unknown as GraphErrorBody).error.code).toBe(
      'Request_ResourceNotFound',
    );
    expect(byId.get('3')?.status).toBe(200);
    const c = sim.counters();
    expect(c.batchSubRequests).toBe(3);
    expect(c.requestsByRoute['POST /v1.0/$batch']).toBe(1);
    expect(c.requestsByRoute['GET /v1.0/groups/{id}/members']).toBe(1);
  });

  it('refuses more than 20 requests with 400', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i + 1),
      method: 'GET',
      url: `/users/${S.ava}`,
    }));
    const res = await batch(requests);
    expect(res.status).toBe(400);
    expect(((await res.json()) as GraphErrorBody).error.code).toBe('BadRequest');
    const twenty = await batch(requests.slice(0, 20));
    expect(twenty.status).toBe(200);
  });

  it('throttles a sub-request on its own: 429 with Retry-After, or without it', async () => {
    sim.faults.inject({
      pathPattern: `/groups/${S.prodTeam}/`,
      status: 429,
      retryAfterSeconds: 7,
      inBatch: true,
    });
    sim.faults.inject({ pathPattern: `/groups/${S.marketing}/`, status: 429, inBatch: true });
    const res = await batch([
      { id: 'a', method: 'GET', url: `/groups/${S.evals}/transitiveMembers` },
      { id: 'b', method: 'GET', url: `/groups/${S.prodTeam}/transitiveMembers` },
      { id: 'c', method: 'GET', url: `/groups/${S.marketing}/transitiveMembers` },
    ]);
    expect(res.status).toBe(200);
    const byId = new Map(((await res.json()) as BatchResponse).responses.map((r) => [r.id, r]));
    expect(byId.get('a')?.status).toBe(200);
    expect(byId.get('b')?.status).toBe(429);
    expect(byId.get('b')?.headers['Retry-After']).toBe('7');
    expect(byId.get('c')?.status).toBe(429);
    expect(byId.get('c')?.headers['Retry-After']).toBeUndefined();
    // A fault for sub-requests does not touch top-level requests, and is used up.
    const again = await batch([
      { id: 'b', method: 'GET', url: `/groups/${S.prodTeam}/transitiveMembers` },
    ]);
    expect(((await again.json()) as BatchResponse).responses[0]?.status).toBe(200);
  });
});

describe('faults on demand', () => {
  it('answers 429 with and without Retry-After, 503 and 504, in Graph error shape', async () => {
    const t = sim;
    t.faults.inject({ pathPattern: `/users/${S.ava}`, status: 429, retryAfterSeconds: 3 });
    t.faults.inject({ pathPattern: `/users/${S.ava}`, status: 429 });
    t.faults.inject({
      method: 'GET',
      pathPattern: /\/users\/[^/]+$/,
      status: 503,
      retryAfterSeconds: 1,
    });
    t.faults.inject({ pathPattern: `/users/${S.ava}`, status: 504, times: 2 });
    const statuses: [number, string | null][] = [];
    for (let i = 0; i < 6; i++) {
      const r = await graphFetch(t, token, `/users/${S.ava}`);
      statuses.push([r.status, r.headers.get('retry-after')]);
      if (r.status !== 200)
        expect(((await r.json()) as GraphErrorBody).error.innerError['request-id']).toBeTruthy();
    }
    expect(statuses).toEqual([
      [429, '3'],
      [429, null],
      [503, '1'],
      [504, null],
      [504, null],
      [200, null],
    ]);
  });

  it('lets the Graph client retry a 429 that carries Retry-After', async () => {
    const t = sim;
    t.faults.inject({ pathPattern: `/groups/${S.evals}`, status: 429, retryAfterSeconds: 1 });
    const g = (await graphClientFor(t).api(`/groups/${S.evals}`).select('displayName').get()) as {
      displayName: string;
    };
    expect(g.displayName).toBe('Production LLM Evals Group');
    expect(t.counters().statuses['429']).toBe(1);
  });

  it('serves a malformed page (invalid JSON) and drops a connection', async () => {
    const t = sim;
    t.faults.inject({ pathPattern: 'skiptoken', malformedBody: true });
    const first = (await (await graphFetch(t, token, `/groups/${S.allStaff}/members`)).json()) as {
      '@odata.nextLink': string;
    };
    const bad = await graphFetch(t, token, first['@odata.nextLink']);
    expect(bad.status).toBe(200);
    const text = await bad.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
    const retry = await graphFetch(t, token, first['@odata.nextLink']);
    expect(((await retry.json()) as { value: unknown[] }).value).toHaveLength(2);

    t.faults.inject({ pathPattern: `/groups/${S.evals}`, dropConnection: true });
    await expect(graphFetch(t, token, `/groups/${S.evals}`)).rejects.toThrow();
    expect((await graphFetch(t, token, `/groups/${S.evals}`)).status).toBe(200);
  });

  it('breaks a connection mid-response: the status and half the announced body, then nothing', async () => {
    sim.faults.inject({ pathPattern: `/groups/${S.evals}/members`, dropMidResponse: true });
    const cut = await graphFetch(sim, token, `/groups/${S.evals}/members`);
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();
    expect((await graphFetch(sim, token, `/groups/${S.evals}/members`)).status).toBe(200);

    // In a $batch: the whole answer breaks off.
    sim.faults.inject({ pathPattern: '/members', dropMidResponse: true, inBatch: true });
    const batchCut = await batch([{ id: '1', method: 'GET', url: `/groups/${S.evals}/members` }]);
    expect(batchCut.status).toBe(200);
    await expect(batchCut.text()).rejects.toThrow();
  });

  it('corrupts a sub-response body, and loops a next link back to its own page', async () => {
    sim.faults.inject({ pathPattern: '/members', malformedBody: true, inBatch: true });
    const corrupt = (await (
      await batch([{ id: '1', method: 'GET', url: `/groups/${S.evals}/members` }])
    ).json()) as { responses: { status: number; body: unknown }[] };
    expect(corrupt.responses[0]?.status).toBe(200);
    expect(typeof corrupt.responses[0]?.body).toBe('string');

    sim.faults.inject({ pathPattern: `/groups/${S.evals}/members`, loopNextLink: true });
    const page = (await (await graphFetch(sim, token, `/groups/${S.evals}/members`)).json()) as {
      '@odata.nextLink': string;
    };
    expect(page['@odata.nextLink']).toBe(`${sim.graphEndpoint}/v1.0/groups/${S.evals}/members`);
  });

  it('delays a response (slow) and still answers it', async () => {
    const t = sim;
    t.faults.inject({ pathPattern: `/groups/${S.evals}`, delayMs: 300 });
    const r = await graphFetch(t, token, `/groups/${S.evals}`);
    expect(r.status).toBe(200);
    expect(t.faults.list()).toEqual([]);
  });

  it('fails the token endpoint on demand (Entra error shape)', async () => {
    const t = sim;
    t.faults.inject({ pathPattern: '/oauth2/v2.0/token', status: 503, retryAfterSeconds: 2 });
    const r = await fetch(`${t.authorityHost}/${t.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('2');
    expect(((await r.json()) as { error: string }).error).toBe('temporarily_unavailable');
  });
});

describe('resource-unit budget (Graph identity and access throttling)', () => {
  it('is off by default and, when on, answers 429 + Retry-After once the window is spent', async () => {
    const t = sim;
    for (let i = 0; i < 5; i++)
      expect((await graphFetch(t, token, `/groups/${S.evals}/transitiveMembers`)).status).toBe(200);

    t.configure({ throttling: { limit: 12, windowSeconds: 60 } });
    // transitiveMembers costs 5: two fit in 12, the third does not.
    expect((await graphFetch(t, token, `/groups/${S.evals}/transitiveMembers`)).status).toBe(200);
    const second = await graphFetch(t, token, `/groups/${S.evals}/transitiveMembers`);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-ms-resource-unit')).toBe('5');
    const third = await graphFetch(t, token, `/groups/${S.evals}/transitiveMembers`);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(third.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    expect(((await third.json()) as GraphErrorBody).error.code).toBe('TooManyRequests');
    // A cheaper request still fits (12 - 10 = 2 units left; a GET by id costs 1).
    expect((await graphFetch(t, token, `/groups/${S.evals}`)).status).toBe(200);

    const res = await batch([
      { id: '1', method: 'GET', url: `/groups/${S.evals}` },
      { id: '2', method: 'GET', url: `/groups/${S.evals}/members` },
    ]);
    const byId = new Map(((await res.json()) as BatchResponse).responses.map((r) => [r.id, r]));
    expect(byId.get('1')?.status).toBe(200);
    expect(byId.get('2')?.status).toBe(429);
    expect(Number(byId.get('2')?.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    const c = t.counters();
    expect(c.throttled).toBe(2);
    expect(c.resourceUnitsSpent).toBe(5 * 5 + 5 + 5 + 1 + 1);
  });
});
