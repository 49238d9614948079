/**
 * The reader's retries (429 with and without `Retry-After`, 503/504, a throttled `$batch` as a
 * whole, the wait budget and the attempt limit) against a fake Graph behind an injected `fetch`,
 * on the fake clock: the reader's own sleep runs, and no test waits for real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF_BASE_MS } from '../../shared/graph/retry.js';
import { FakeGraph, fakeReader, gaps, graphError, withFakeClock } from './fake-graph.js';
import { DIRECTORY, G, U } from './fake-directory.js';

let graph: FakeGraph;

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-11-30T10:00:00Z') });
  graph = new FakeGraph(DIRECTORY);
});
afterEach(() => {
  vi.useRealTimers();
});

const times = (pattern: string | RegExp) => graph.received(pattern).map((request) => request.at);

describe('retries inside $batch', () => {
  it('retries a throttled sub-request after its Retry-After, the others answered once', async () => {
    graph.fail('/getMemberGroups', graphError(429, 'TooManyRequests', 3), { times: 2 });
    const reader = fakeReader(graph);
    const { user, groupIds } = await withFakeClock(reader.userWithGroups(U.chen, 'transitive'));
    expect(user?.id).toBe(U.chen);
    expect(groupIds).toEqual(new Set([G.contractors, G.allStaff]));
    expect(gaps(times('/getMemberGroups'))).toEqual([3000, 3000]);
    expect(graph.batches).toBe(3);
    expect(graph.received(`/users/${U.chen}?`)).toHaveLength(1);
    expect(reader.requestCount).toBe(3);
  });

  it('backs off, growing and jittered, when a 429 has no Retry-After', async () => {
    graph.fail(`/users/${U.ava}?`, graphError(429, 'TooManyRequests'), { times: 3 });
    const users = await withFakeClock(fakeReader(graph).users([U.ava]));
    expect(users.get(U.ava)?.id).toBe(U.ava);
    const waits = gaps(times(`/users/${U.ava}?`));
    expect(waits).toHaveLength(3);
    waits.forEach((wait, index) => {
      const step = BACKOFF_BASE_MS * 2 ** index;
      expect(wait).toBeGreaterThanOrEqual(step / 2);
      expect(wait).toBeLessThanOrEqual(step);
    });
  });

  it('retries 503 and 504 sub-requests and a throttled $batch as a whole', async () => {
    graph.fail('/members/', graphError(503, 'ServiceUnavailable', 1));
    graph.fail('/members/', graphError(504, 'GatewayTimeout'));
    graph.fail('/$batch', graphError(429, 'TooManyRequests', 2), { inBatch: false });
    const result = await withFakeClock(
      fakeReader(graph).groupMembers([G.evals, G.allStaff], 'direct'),
    );
    expect([...result.values()].map((group) => group.complete)).toEqual([true, true]);
    // One wait per round: the $batch's Retry-After, then the longer of the 503's Retry-After
    // and the 504's back-off (second attempt: one to two seconds).
    const waits = gaps([...new Set(times('/$batch'))]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
    expect(graph.batches).toBe(3);
  });

  it('reads Retry-After given as an HTTP date', async () => {
    const inFourSeconds = new Date(Date.now() + 4000).toUTCString();
    graph.fail(`/users/${U.ava}?`, graphError(503, 'ServiceUnavailable', inFourSeconds));
    await withFakeClock(fakeReader(graph).users([U.ava]));
    expect(gaps(times(`/users/${U.ava}?`))).toEqual([4000]);
  });

  it('retries a $batch whose connection dropped or whose body was cut off', async () => {
    graph.fail('/$batch', 'drop', { inBatch: false });
    graph.fail('/$batch', 'garble', { inBatch: false });
    const result = await withFakeClock(fakeReader(graph).groupMembers([G.evals], 'transitive'));
    expect(result.get(G.evals)).toMatchObject({ complete: true, members: { length: 2 } });
    expect(graph.batches).toBe(3);
  });
});

describe('retries of single requests', () => {
  it('honours Retry-After on the top-level appRoleAssignedTo listing', async () => {
    graph.fail('/appRoleAssignedTo', graphError(429, 'TooManyRequests', 5), { inBatch: false });
    expect(await withFakeClock(fakeReader(graph).assignedGroups())).toHaveLength(2);
    expect(gaps(times('/appRoleAssignedTo'))).toEqual([5000]);
  });
});

describe('giving up', () => {
  it('fails with graph_throttled when Retry-After is beyond the budget, without waiting', async () => {
    graph.fail('/getMemberGroups', graphError(429, 'TooManyRequests', 30), { times: Infinity });
    const startedAt = Date.now();
    const reader = fakeReader(graph, { maxRetryWaitSeconds: 10 });
    await expect(withFakeClock(reader.userWithGroups(U.chen, 'transitive'))).rejects.toMatchObject({
      name: 'SyncServiceError',
      code: 'graph_throttled',
      message: expect.stringMatching(/retry budget of 10 s/) as unknown,
    });
    expect(Date.now()).toBe(startedAt);
    expect(graph.batches).toBe(1);
  });

  it('fails with graph_unavailable once back-off has spent the budget', async () => {
    graph.fail('/users/', graphError(503, 'ServiceUnavailable'), { times: Infinity });
    const startedAt = Date.now();
    const reader = fakeReader(graph, { maxRetryWaitSeconds: 10 });
    await expect(withFakeClock(reader.userWithGroups(U.chen, 'direct'))).rejects.toMatchObject({
      code: 'graph_unavailable',
    });
    expect(graph.batches).toBeGreaterThanOrEqual(3);
    expect(Date.now() - startedAt).toBeLessThanOrEqual(10_000);
  });

  it('gives up on a storm of Retry-After: 0 after a bounded number of attempts', async () => {
    graph.fail('/users/', graphError(429, 'TooManyRequests', 0), { times: Infinity });
    await expect(withFakeClock(fakeReader(graph).users([U.ava]))).rejects.toMatchObject({
      code: 'graph_throttled',
      message: expect.stringMatching(/gave up after 8 attempts/) as unknown,
    });
    expect(graph.batches).toBe(8);
  });
});
