/**
 * Reconciliation against a generated tenant (nested groups, disabled users, Microsoft 365
 * groups), with throttling and failures from Graph and sign-ins writing at the same time.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import type { DirectoryReader } from '../../shared/graph/index.js';
import {
  assignedGroupIds,
  entraMembers,
  expectTablesMatchEntra,
  membersOf,
  run,
  servicesFor,
  snapshot,
} from './helpers.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

/** A reader whose member listing waits for `meanwhile` before answering. */
function pausingDirectory(
  reader: DirectoryReader,
  meanwhile: () => Promise<void>,
): DirectoryReader {
  return {
    servicePrincipalId: () => reader.servicePrincipalId(),
    assignedGroups: (options) => reader.assignedGroups(options),
    appAssignments: (options) => reader.appAssignments(options),
    appRoles: () => reader.appRoles(),
    userWithGroups: (userId, membership) => reader.userWithGroups(userId, membership),
    users: (userIds) => reader.users(userIds),
    groupMembers: async (groupIds, membership, onGroupDone) => {
      const members = await reader.groupMembers(groupIds, membership, onGroupDone);
      await meanwhile();
      return members;
    },
    get requestCount() {
      return reader.requestCount;
    },
  };
}

const TRANSITIVE = 'GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'reconcile-generated',
    users: 150,
    groups: 40,
    assignedGroups: 25,
    membershipsPerGroup: { min: 3, max: 12 },
    nestingDepth: 2,
    nestedChains: 5,
    disabledFraction: 0.05,
    assignedUsers: 2,
  }),
);
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  sim.resetCounters();
});

describe('a generated tenant', () => {
  it('gets every team and membership on the first run and no write on the second', async () => {
    const state = sim.admin.getState();
    const assigned = assignedGroupIds(state);
    expect(assigned).toHaveLength(25);
    const memberships = assigned.reduce((sum, id) => sum + membersOf(state, id).size, 0);
    const users = new Set(assigned.flatMap((id) => [...membersOf(state, id)]));
    expect(state.users.some((user) => !user.accountEnabled && users.has(user.id))).toBe(true);

    const target = servicesFor(sim, 'RcGen');
    const first = await run(target);
    expect(first.outcome).toBe('succeeded');
    expect(first.summary).toMatchObject({
      groups: 25,
      teamsCreated: 25,
      usersCreated: users.size,
      membershipsAdded: memberships,
      tableWrites: 25 + users.size + 2 * memberships,
    });
    await expectTablesMatchEntra(target, state);

    const before = await snapshot(target);
    const second = await run(target);
    expect(second.outcome).toBe('succeeded');
    expect(second.summary?.tableWrites).toBe(0);
    expect(await snapshot(target)).toEqual(before);
  });

  it('completes through 429 storms inside $batch, retrying each throttled sub-request', async () => {
    sim.faults.inject({
      pathPattern: '/transitiveMembers/',
      status: 429,
      retryAfterSeconds: 1,
      times: 30,
      inBatch: true,
    });
    sim.faults.inject({
      pathPattern: '/transitiveMembers/',
      status: 429,
      times: 10,
      inBatch: true,
    });
    sim.faults.inject({ pathPattern: '/transitiveMembers/', status: 503, times: 5, inBatch: true });
    const target = servicesFor(sim, 'RcGen');
    const record = await run(target);
    expect(record.outcome).toBe('succeeded');
    expect(record.summary?.incompleteGroups).toBe(0);
    const counters = sim.counters();
    expect(counters.statuses['429']).toBe(40);
    expect(counters.statuses['503']).toBe(5);
    // Every group answered once with 200, plus one answer per fault.
    expect(counters.requestsByRoute[TRANSITIVE]).toBe(25 + 45);
    expect(record.summary?.graphRequests).toBeGreaterThan(2);
    await expectTablesMatchEntra(target, sim.admin.getState());
  });

  it('leaves a group whose member listing fails midway as it is, and reports the run partial', async () => {
    // Pages of 3, so the bigger groups take several pages.
    const target = servicesFor(sim, 'RcGen', {}, { pageSize: 3 });
    await run(target);
    const state = sim.admin.getState();
    const groupId = assignedGroupIds(state).find((id) => membersOf(state, id).size >= 7);
    if (groupId === undefined) throw new Error('the generated tenant has no group of 7');
    const leaver = [...membersOf(state, groupId)].find((userId) =>
      state.groups.find((g) => g.id === groupId)?.members.includes(userId),
    );
    if (leaver === undefined) throw new Error('no direct member');
    sim.admin.removeMember(groupId, leaver);
    const other = assignedGroupIds(state).find(
      (id) => id !== groupId && state.groups.find((g) => g.id === id)?.members.length,
    );
    const otherLeaver = state.groups.find((g) => g.id === other)?.members[0];
    if (other === undefined || otherLeaver === undefined) throw new Error('no other group');
    sim.admin.removeMember(other, otherLeaver);

    // The second page of that group's listing fails for good.
    sim.faults.inject({
      pathPattern: new RegExp(`/groups/${groupId}/transitiveMembers/.*skiptoken`, 'i'),
      status: 500,
      times: Infinity,
      inBatch: true,
    });
    const record = await run(target);
    expect(record.outcome).toBe('partial');
    expect(record.summary).toMatchObject({ incompleteGroups: 1 });
    expect(record.incompleteGroups).toEqual([
      { groupId, reason: expect.stringContaining('500') as string },
    ]);
    // Nothing removed from the incomplete group; the other group was reconciled.
    expect((await entraMembers(target, groupId)).teamSide.has(leaver)).toBe(true);
    const otherMembers = await entraMembers(target, other);
    expect(otherMembers.teamSide.has(otherLeaver)).toBe(
      membersOf(sim.admin.getState(), other).has(otherLeaver),
    );
    const [stored] = await target.repository.recentRuns(1);
    expect(stored).toMatchObject({ outcome: 'partial', incompleteGroups: record.incompleteGroups });

    sim.faults.clear();
    const healed = await run(target);
    expect(healed.outcome).toBe('succeeded');
    expect((await entraMembers(target, groupId)).teamSide.has(leaver)).toBe(
      membersOf(sim.admin.getState(), groupId).has(leaver),
    );
    await expectTablesMatchEntra(target, sim.admin.getState());
  });

  it('ends in the state of Entra when sign-ins run during a reconciliation', async () => {
    const target = servicesFor(sim, 'RcGen');
    const state = sim.admin.getState();
    const assigned = assignedGroupIds(state);
    const enabled = new Set(state.users.filter((u) => u.accountEnabled).map((u) => u.id));
    const members = [...new Set(assigned.flatMap((id) => [...membersOf(state, id)]))];
    const signIns = members.filter((userId) => enabled.has(userId)).slice(0, 20);
    const signIn = (userId: string) => syncSignedInUser(target, { userId, tenantId: sim.tenantId });

    // 1. Sign-ins land between the run's read of the tables and its writes: every team, user
    //    and membership they wrote is found done, and nothing is written twice.
    const between = await reconcile(
      {
        ...target,
        createDirectory: () =>
          pausingDirectory(target.createDirectory(), async () => {
            for (const userId of signIns) await signIn(userId);
          }),
      },
      { trigger: 'cli' },
    );
    expect(between.record.outcome).toBe('succeeded');
    const audit = await target.repository.runAudit(between.record.runId);
    const alreadyDone = audit.filter((entry) => entry.outcome === 'already-done');
    expect(alreadyDone.length).toBeGreaterThan(signIns.length);
    expect(between.record.summary?.usersCreated).toBe(
      audit.filter((e) => e.kind === 'user-created' && e.outcome === 'applied').length,
    );
    await expectTablesMatchEntra(target, sim.admin.getState());
    expect((await run(target)).summary?.tableWrites).toBe(0);

    // 2. A removal planned from a stale read never removes what a sign-in wrote since: the
    //    user leaves the group, the run reads Graph, the user comes back and signs in (the
    //    sign-in removes and re-creates the membership), then the run writes.
    const groupId = assigned.find((id) =>
      state.groups.find((g) => g.id === id)?.members.some((m) => signIns.includes(m)),
    );
    const userId = state.groups
      .find((g) => g.id === groupId)
      ?.members.find((m) => signIns.includes(m));
    if (groupId === undefined || userId === undefined)
      throw new Error('no signed-in direct member');
    sim.admin.removeMember(groupId, userId);
    const removedEverywhere = !membersOf(sim.admin.getState(), groupId).has(userId);
    const stale = await reconcile(
      {
        ...target,
        createDirectory: () =>
          pausingDirectory(target.createDirectory(), async () => {
            await signIn(userId);
            sim.admin.addMember(groupId, userId);
            await signIn(userId);
          }),
      },
      { trigger: 'cli' },
    );
    expect(removedEverywhere).toBe(true);
    expect(stale.record.summary?.conflicts).toBe(2);
    expect(stale.record.summary?.membershipsRemoved).toBe(0);
    const entries = await target.repository.runAudit(stale.record.runId);
    expect(entries).toContainEqual(
      expect.objectContaining({ kind: 'membership-removed', userId, outcome: 'conflict' }),
    );
    expect((await entraMembers(target, groupId)).teamSide.has(userId)).toBe(true);
    expect((await entraMembers(target, groupId)).userSide.has(userId)).toBe(true);
    expect((await run(target)).summary?.tableWrites).toBe(0);

    // 3. And a plain race: Entra changes, then a run and the sign-ins all at once.
    const leaver = state.groups
      .find((g) => g.id === assigned[1])
      ?.members.find((m) => signIns.includes(m));
    if (leaver !== undefined && assigned[1] !== undefined)
      sim.admin.removeMember(assigned[1], leaver);
    sim.admin.renameGroup(assigned[2] ?? '', 'Renamed during the race');
    const raced = await Promise.allSettled([
      reconcile(target, { trigger: 'cli' }),
      ...signIns.map(signIn),
    ]);
    expect(raced.filter((result) => result.status === 'rejected')).toEqual([]);
    const settled = await run(target);
    expect(settled.summary?.tableWrites).toBe(0);
    await expectTablesMatchEntra(target, sim.admin.getState());
  });
});
