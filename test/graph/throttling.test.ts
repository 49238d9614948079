import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { BACKOFF_BASE_MS } from '../../shared/graph/retry.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, readerFor, recordingSleep, routeCount } from './helpers.js';

const BATCH = 'POST /v1.0/$batch';
const TRANSITIVE = 'GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user';

describe('throttling and failures inside $batch (sample tenant)', () => {
  const sim = useSimulatedTenant(SAMPLE);

  beforeEach(() => {
    sim.admin.reset();
    sim.faults.clear();
    sim.resetCounters();
  });

  it('retries a throttled sub-request after its Retry-After, the others answered once', async () => {
    sim.faults.inject({
      pathPattern: '/getMemberGroups',
      status: 429,
      retryAfterSeconds: 3,
      times: 2,
      inBatch: true,
    });
    const { sleep, waits } = recordingSleep();
    const reader = readerFor(sim, { sleep });
    const { user, groupIds } = await reader.userWithGroups(S.chen, 'transitive');
    expect(user?.id).toBe(S.chen);
    expect(groupIds.size).toBe(3);
    expect(waits).toEqual([3000, 3000]);
    expect(routeCount(sim, BATCH)).toBe(3);
    expect(routeCount(sim, 'GET /v1.0/users/{id}')).toBe(1);
    expect(routeCount(sim, 'POST /v1.0/users/{id}/getMemberGroups')).toBe(3);
    expect(sim.counters().statuses['429']).toBe(2);
  });

  it('backs off, growing and jittered, when a 429 has no Retry-After', async () => {
    sim.faults.inject({ pathPattern: `/users/${S.ava}?`, status: 429, times: 3, inBatch: true });
    const { sleep, waits } = recordingSleep();
    const user = (await readerFor(sim, { sleep }).users([S.ava])).get(S.ava);
    expect(user?.id).toBe(S.ava);
    expect(waits).toHaveLength(3);
    waits.forEach((wait, index) => {
      const step = BACKOFF_BASE_MS * 2 ** index;
      expect(wait).toBeGreaterThanOrEqual(step / 2);
      expect(wait).toBeLessThanOrEqual(step);
    });
  });

  it('retries 503 and 504 sub-requests and a throttled $batch as a whole', async () => {
    sim.faults.inject({
      pathPattern: '/members/',
      status: 503,
      retryAfterSeconds: 1,
      inBatch: true,
    });
    sim.faults.inject({ pathPattern: '/members/', status: 504, inBatch: true });
    sim.faults.inject({ pathPattern: '/$batch', status: 429, retryAfterSeconds: 2 });
    const { sleep, waits } = recordingSleep();
    const result = await readerFor(sim, { sleep }).groupMembers([S.evals, S.allStaff], 'direct');
    expect([...result.values()].map((group) => group.complete)).toEqual([true, true]);
    // One wait per round: the $batch's Retry-After, then the longer of the 503's Retry-After
    // and the 504's back-off (second attempt: one to two seconds).
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
    expect(routeCount(sim, BATCH)).toBe(3);
  });

  it('retries a $batch whose connection dropped or whose body was cut off', async () => {
    sim.faults.inject({ pathPattern: '/$batch', dropConnection: true });
    sim.faults.inject({ pathPattern: '/$batch', malformedBody: true });
    const result = await readerFor(sim).groupMembers([S.evals], 'transitive');
    expect(result.get(S.evals)).toMatchObject({ complete: true, members: { length: 4 } });
    expect(routeCount(sim, BATCH)).toBe(3);
  });

  it('honours Retry-After on the top-level appRoleAssignedTo listing', async () => {
    sim.faults.inject({ pathPattern: '/appRoleAssignedTo', status: 429, retryAfterSeconds: 5 });
    const { sleep, waits } = recordingSleep();
    expect(await readerFor(sim, { sleep }).assignedGroups()).toHaveLength(1);
    expect(waits).toEqual([5000]);
  });

  it('fails with graph_throttled when Retry-After is beyond the budget, without waiting', async () => {
    sim.faults.inject({
      pathPattern: '/getMemberGroups',
      status: 429,
      retryAfterSeconds: 30,
      times: Infinity,
      inBatch: true,
    });
    const { sleep, waits } = recordingSleep();
    const reader = readerFor(sim, { sleep, maxRetryWaitSeconds: 10 });
    await expect(reader.userWithGroups(S.chen, 'transitive')).rejects.toMatchObject({
      name: 'SyncServiceError',
      code: 'graph_throttled',
      message: expect.stringMatching(/retry budget of 10 s/) as unknown,
    });
    expect(waits).toEqual([]);
  });

  it('fails with graph_unavailable once back-off has spent the budget', async () => {
    sim.faults.inject({ pathPattern: '/users/', status: 503, times: Infinity, inBatch: true });
    const { sleep, waits } = recordingSleep();
    const reader = readerFor(sim, { sleep, maxRetryWaitSeconds: 10 });
    await expect(reader.userWithGroups(S.chen, 'direct')).rejects.toMatchObject({
      code: 'graph_unavailable',
    });
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(10_000);
  });

  it('gives up on a storm of Retry-After: 0 after a bounded number of attempts', async () => {
    sim.faults.inject({
      pathPattern: '/users/',
      status: 429,
      retryAfterSeconds: 0,
      times: Infinity,
      inBatch: true,
    });
    await expect(readerFor(sim).users([S.ava])).rejects.toMatchObject({
      code: 'graph_throttled',
      message: expect.stringMatching(/gave up after 8 attempts/) as unknown,
    });
    expect(routeCount(sim, BATCH)).toBe(8);
  });

  it('marks a group whose listing fails midway incomplete, and completes the others', async () => {
    sim.faults.inject({
      pathPattern: new RegExp(`/groups/${S.evals}/transitiveMembers/.*skiptoken`),
      status: 503,
      times: Infinity,
      inBatch: true,
    });
    const reader = readerFor(sim, { pageSize: 2 });
    const result = await reader.groupMembers([S.evals, S.allStaff, S.prodTeam], 'transitive');
    expect(result.get(S.evals)).toEqual({
      groupId: S.evals,
      complete: false,
      reason: expect.stringMatching(/^page 2: .*503/) as unknown,
    });
    expect(result.get(S.allStaff)).toMatchObject({ complete: true, members: { length: 7 } });
    expect(result.get(S.prodTeam)).toMatchObject({ complete: true, members: { length: 3 } });
  });
});

describe('a 429 storm over many groups', () => {
  const sim = useSimulatedTenant(
    generateTenant({ seed: 'storm', users: 400, groups: 200, membershipsPerGroup: 30 }),
  );

  it('retries each throttled sub-request and returns every group complete', async () => {
    const groups = sim.admin.getState().groups.map((group) => group.id);
    sim.faults.inject({
      pathPattern: '/transitiveMembers/',
      status: 429,
      retryAfterSeconds: 1,
      times: 70,
      inBatch: true,
    });
    const { sleep, waits } = recordingSleep();
    const reader = readerFor(sim, { sleep, pageSize: 20 });
    const result = await reader.groupMembers(groups, 'transitive');

    expect(result.size).toBe(200);
    for (const group of result.values()) expect(group.complete).toBe(true);
    const state = sim.admin.getState();
    for (const group of state.groups) {
      const members = result.get(group.id);
      expect(members?.complete === true ? members.members.length : -1).toBe(group.members.length);
    }
    const counters = sim.counters();
    expect(counters.statuses['429']).toBe(70);
    // 200 first pages, 200 second pages (30 members at 20 a page), 70 retries.
    expect(routeCount(sim, TRANSITIVE)).toBe(470);
    expect(waits.every((wait) => wait === 1000)).toBe(true);
    expect(reader.requestCount).toBe(counters.requestsByRoute[BATCH]);
  });
});
