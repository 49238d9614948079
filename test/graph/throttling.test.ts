/**
 * Retries end to end, through the simulated tenant: connections that really break, and a 429
 * storm over many groups. The retry rules themselves are in retry.test.ts, on a fake transport.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, readerFor, recordingSleep, routeCount } from './helpers.js';

const BATCH = 'POST /v1.0/$batch';
const TRANSITIVE = 'GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user';

describe('a $batch whose connection breaks (sample tenant)', () => {
  const sim = useSimulatedTenant(SAMPLE);

  beforeEach(() => {
    sim.admin.reset();
    sim.faults.clear();
    sim.resetCounters();
  });

  it('retries a $batch whose connection dropped or whose body was cut off', async () => {
    sim.faults.inject({ pathPattern: '/$batch', dropConnection: true });
    sim.faults.inject({ pathPattern: '/$batch', malformedBody: true });
    const result = await readerFor(sim).groupMembers([S.evals], 'transitive');
    expect(result.get(S.evals)).toMatchObject({ complete: true, members: { length: 4 } });
    expect(routeCount(sim, BATCH)).toBe(3);
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
