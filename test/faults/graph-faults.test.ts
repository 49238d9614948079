/**
 * Suite 4, Graph side: a full pass against the simulated tenant while its Graph misbehaves —
 * throttling storms at the top level, answers that never come (timeouts), connections that
 * break halfway through an answer, pages that are not JSON, next links that loop, a directory
 * lookup that keeps failing. Each run ends in Entra's state or reports its failure, never
 * removing a membership Entra still has, and the next fault-free run converges.
 * (429/503 storms inside `$batch` and a listing failing midway: test/reconcile/generated.test.ts.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import type { FaultSpec } from '../../dev/tenant/faults.js';
import { assignedGroupIds, membersOf, run, servicesFor } from '../reconcile/helpers.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import {
  changeEntra,
  entraMemberships,
  expectCompletedThrough,
  expectConverges,
  expectNothingLost,
  failedRun,
} from './helpers.js';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'faults-graph',
    users: 40,
    groups: 12,
    assignedGroups: 8,
    membershipsPerGroup: { min: 4, max: 10 },
    nestingDepth: 2,
    nestedChains: 3,
    disabledFraction: 0.05,
    assignedUsers: 1,
  }),
);
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  sim.resetCounters();
});

const ASSIGNMENTS = '/appRoleAssignedTo';
const MEMBERS = '/transitiveMembers/';

/** Synced tables, then Entra moves on (`changeEntra`). */
async function syncedThenChanged(options: { pageSize?: number; requestTimeoutMs?: number } = {}) {
  const services = servicesFor(sim, 'FaG', {}, options);
  expect((await run(services)).outcome).toBe('succeeded');
  changeEntra(sim);
  return { services, before: await entraMemberships(services) };
}

function inject(...specs: FaultSpec[]) {
  for (const spec of specs) sim.faults.inject(spec);
}

describe('Graph faults during a full pass', () => {
  it('429 storms at the top level, with and without Retry-After, and 503/504: completes', async () => {
    const { services, before } = await syncedThenChanged({ pageSize: 4 });
    inject(
      { pathPattern: ASSIGNMENTS, status: 429, times: 3 },
      { pathPattern: ASSIGNMENTS, status: 429, retryAfterSeconds: 2, times: 2 },
      { pathPattern: '$batch', status: 429, retryAfterSeconds: 1, times: 2 },
      { pathPattern: '$batch', status: 503, times: 1 },
      { pathPattern: '$batch', status: 504, times: 1 },
      { pathPattern: MEMBERS, status: 429, times: 3, inBatch: true },
    );
    const record = await run(services);
    expect(sim.counters().statuses['429']).toBe(10);
    // Each throttled top-level answer and each retried $batch is one more request.
    await expectCompletedThrough(services, record, before, sim.admin.getState(), 9);
  });

  it('a storm past the retry budget inside the member listings, and a 500: those groups left as they are', async () => {
    const { services, before } = await syncedThenChanged({ pageSize: 4 });
    inject(
      { pathPattern: '$batch', status: 429, retryAfterSeconds: 1, times: 3 },
      { pathPattern: '$batch', status: 503, times: 2 },
      { pathPattern: '$batch', status: 504, times: 1 },
      { pathPattern: MEMBERS, status: 500, times: 1, inBatch: true },
      { pathPattern: MEMBERS, status: 429, times: 5, inBatch: true },
    );
    const record = await run(services);
    expect(record.outcome).toBe('partial');
    expect(record.incompleteGroups.length).toBeGreaterThan(1);
    expect(record.incompleteGroups.map((group) => group.reason).join('\n')).toMatch(
      /retry budget[\s\S]*|500 InternalServerError/,
    );
    expect(record.summary?.membershipsRemoved).toBe(0);
    const state = sim.admin.getState();
    await expectNothingLost(services, before, state);
    await expectConverges(services, state);
  });

  it('a storm that outlasts the retry budget fails the run, coded, with nothing written', async () => {
    const { services, before } = await syncedThenChanged();
    inject({ pathPattern: ASSIGNMENTS, status: 503, times: Infinity });
    const error = await failedRun(run(services));
    expect(error.runRecord).toMatchObject({
      outcome: 'failed',
      error: { code: 'graph_unavailable' },
    });
    const [stored] = await services.repository.recentRuns(1);
    expect(stored).toMatchObject({ outcome: 'failed', error: { code: 'graph_unavailable' } });
    expect(await entraMemberships(services)).toEqual(before);
    sim.faults.clear();
    await expectConverges(services, sim.admin.getState());
  });

  it('answers that never come: timed out, retried, and the pass completes', async () => {
    const { services, before } = await syncedThenChanged({ requestTimeoutMs: 250 });
    inject(
      { pathPattern: ASSIGNMENTS, delayMs: 1_500, times: 2 },
      { pathPattern: MEMBERS, delayMs: 1_500, times: 2, inBatch: true },
    );
    const record = await run(services);
    // Two listings timed out and were sent again.
    await expectCompletedThrough(services, record, before, sim.admin.getState(), 4);
  });

  it('a group whose listing never answers in time ends incomplete, its team untouched', async () => {
    const { services, before } = await syncedThenChanged({ requestTimeoutMs: 250 });
    const groupId = assignedGroupIds(sim.admin.getState())[0] ?? '';
    inject({
      pathPattern: `/groups/${groupId}${MEMBERS}`,
      delayMs: 600,
      times: Infinity,
      inBatch: true,
    });
    const record = await run(services);
    expect(record.outcome).toBe('partial');
    // The batch that carried it timed out as a whole: its groups are all incomplete.
    expect(record.incompleteGroups.map((group) => group.groupId)).toContain(groupId);
    const state = sim.admin.getState();
    await expectNothingLost(services, before, state);
    sim.faults.clear();
    await expectConverges(services, state);
  });

  it('connections dropped before and in the middle of an answer: retried, the pass completes', async () => {
    const { services, before } = await syncedThenChanged({ pageSize: 4 });
    inject(
      { pathPattern: ASSIGNMENTS, dropMidResponse: true, times: 2 },
      { pathPattern: ASSIGNMENTS, dropConnection: true, times: 1 },
      { pathPattern: MEMBERS, dropMidResponse: true, times: 3, inBatch: true },
      { pathPattern: MEMBERS, dropConnection: true, times: 1, inBatch: true },
    );
    const record = await run(services);
    // Three top-level answers lost; the in-batch faults all land in one $batch, lost once.
    await expectCompletedThrough(services, record, before, sim.admin.getState(), 4);
  });

  it('a page that is not JSON: retried once cut off at the top level; a cut sub-response leaves its group as it is', async () => {
    const { services, before } = await syncedThenChanged({ pageSize: 4 });
    const state = sim.admin.getState();
    const groupId = assignedGroupIds(state).find((id) => membersOf(state, id).size > 4) ?? '';
    inject(
      { pathPattern: 'skiptoken', malformedBody: true, times: 1 },
      {
        pathPattern: new RegExp(`/groups/${groupId}${MEMBERS}.*skiptoken`),
        malformedBody: true,
        times: 1,
        inBatch: true,
      },
    );
    const record = await run(services);
    expect(record.outcome).toBe('partial');
    expect(record.incompleteGroups).toEqual([
      { groupId, reason: expect.stringContaining('no value array') as string },
    ]);
    await expectNothingLost(services, before, state);
    await expectConverges(services, state);
  });

  it('a next link that loops: the listing stops, the assignments fail the run, a group is left as it is', async () => {
    const { services, before } = await syncedThenChanged({ pageSize: 4 });
    const state = sim.admin.getState();
    const groupId = assignedGroupIds(state)[1] ?? '';
    inject({
      pathPattern: new RegExp(`/groups/${groupId}${MEMBERS}`),
      loopNextLink: true,
      times: Infinity,
      inBatch: true,
    });
    const partial = await run(services);
    expect(partial.outcome).toBe('partial');
    expect(partial.incompleteGroups).toEqual([
      { groupId, reason: expect.stringContaining('loops') as string },
    ]);
    await expectNothingLost(services, before, state);

    sim.faults.clear();
    inject({ pathPattern: ASSIGNMENTS, loopNextLink: true, times: Infinity });
    const error = await failedRun(run(services));
    expect(error.runRecord).toMatchObject({
      outcome: 'failed',
      error: { code: 'graph_incomplete' },
    });
    await expectNothingLost(services, before, state);
    sim.faults.clear();
    await expectConverges(services, state);
  });

  it('a user lookup that keeps failing never marks the user deleted', async () => {
    const services = servicesFor(sim, 'FaG');
    await run(services);
    const state = sim.admin.getState();
    // A user who leaves every assigned group is looked up on their own (`/users/{id}`).
    const stillMember = (userId: string) =>
      assignedGroupIds(state).some((id) => membersOf(sim.admin.getState(), id).has(userId));
    let leaver: string | undefined;
    for (const group of state.groups) {
      for (const member of group.members) {
        if (leaver !== undefined || !state.users.some((user) => user.id === member)) continue;
        sim.admin.removeMember(group.id, member);
        if (stillMember(member)) sim.admin.addMember(group.id, member);
        else leaver = member;
      }
    }
    if (leaver === undefined) throw new Error('the generated tenant has no user in one group only');
    inject({ pathPattern: `/users/${leaver}`, status: 503, times: Infinity, inBatch: true });
    const before = await entraMemberships(services);
    const error = await failedRun(run(services));
    expect(error.runRecord?.error?.code).toBe('graph_unavailable');
    expect((await services.repository.readUser(leaver)).user?.deletedInEntra).toBe(false);
    expect(await entraMemberships(services)).toEqual(before);
    sim.faults.clear();
    await expectConverges(services, sim.admin.getState());
  });
});
