import { describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { readerFor, routeCount } from './helpers.js';

const ASSIGNED = 'GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo';
const BATCH = 'POST /v1.0/$batch';

describe('120 assigned groups', () => {
  const sim = useSimulatedTenant(
    generateTenant({
      seed: 'assigned-120',
      users: 50,
      groups: 130,
      assignedGroups: 120,
      assignedUsers: 5,
    }),
  );

  it('reads every page through the whole next link', async () => {
    sim.resetCounters();
    const groups = await readerFor(sim, { pageSize: 50 }).assignedGroups();
    const expected = sim.admin
      .getState()
      .groups.slice(0, 120)
      .map((group) => group.id);
    expect(groups.map((group) => group.id).sort()).toEqual(expected.sort());
    // 125 assignments (5 users) at 50 a page.
    expect(routeCount(sim, ASSIGNED)).toBe(3);
  });
});

describe('1,200 assigned groups', () => {
  const sim = useSimulatedTenant(
    generateTenant({
      seed: 'assigned-1200',
      users: 600,
      groups: 1200,
      membershipsPerGroup: 3,
      nestingDepth: 0,
    }),
  );

  it('lists them in two pages of 999', async () => {
    sim.resetCounters();
    const groups = await readerFor(sim).assignedGroups();
    expect(new Set(groups.map((group) => group.id)).size).toBe(1200);
    expect(routeCount(sim, ASSIGNED)).toBe(2);
  });

  it('reads the members of all of them, 20 groups a $batch, reporting progress', async () => {
    sim.resetCounters();
    const state = sim.admin.getState();
    const progress: number[] = [];
    const reader = readerFor(sim);
    const result = await reader.groupMembers(
      state.groups.map((group) => group.id),
      'direct',
      (done, total) => {
        expect(total).toBe(1200);
        progress.push(done);
      },
    );
    expect(result.size).toBe(1200);
    for (const group of state.groups) {
      const members = result.get(group.id);
      expect(
        members?.complete === true ? members.members.map((m) => m.id).sort() : members,
      ).toEqual([...group.members].sort());
    }
    expect(progress).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(routeCount(sim, BATCH)).toBe(60);
    expect(sim.counters().batchSubRequests).toBe(1200);
    expect(reader.requestCount).toBe(60);
  });
});

describe('a 5,000-member group and a user in 250 groups', () => {
  const tenant = generateTenant({
    seed: 'big',
    users: 5000,
    groups: 260,
    membershipsPerGroup: 2,
    largestGroupMembers: 5000,
    powerUserGroups: 250,
    nestingDepth: 2,
    nestedChains: 3,
    assignedGroups: 250,
  });
  const bigGroup = tenant.groups[0]?.id ?? '';
  const powerUser = tenant.users[0]?.id ?? '';
  const sim = useSimulatedTenant(tenant);

  it('pages through 5,000 members, in $batch, to the last one', async () => {
    for (const membership of ['direct', 'transitive'] as const) {
      sim.resetCounters();
      const reader = readerFor(sim);
      const members = (await reader.groupMembers([bigGroup], membership)).get(bigGroup);
      expect(members?.complete).toBe(true);
      const ids = members?.complete === true ? members.members.map((m) => m.id) : [];
      expect(new Set(ids).size).toBeGreaterThanOrEqual(5000);
      // Six pages of up to 999, one $batch each: a group's pages follow one another.
      expect(routeCount(sim, BATCH)).toBe(6);
      expect(sim.counters().batchSubRequests).toBe(6);
    }
  });

  it('reads all 250 groups of one user, transitive and direct (paged)', async () => {
    const state = sim.admin.getState();
    const direct = state.groups
      .filter((group) => group.members.includes(powerUser))
      .map((g) => g.id);
    expect(direct.length).toBeGreaterThanOrEqual(250);

    const transitive = await readerFor(sim).userWithGroups(powerUser, 'transitive');
    expect(transitive.groupIds.size).toBeGreaterThanOrEqual(direct.length);
    for (const id of direct) expect(transitive.groupIds.has(id)).toBe(true);

    sim.resetCounters();
    const paged = await readerFor(sim, { pageSize: 100 }).userWithGroups(powerUser, 'direct');
    expect([...paged.groupIds].sort()).toEqual(direct.sort());
    expect(routeCount(sim, 'GET /v1.0/users/{id}/memberOf/microsoft.graph.group')).toBe(
      Math.ceil(direct.length / 100),
    );
  });
});
