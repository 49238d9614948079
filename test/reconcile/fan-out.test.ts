/**
 * The fanned-out full pass against a generated tenant, Azurite's tables and its queue service:
 * shares of 4 groups and a sweep share, worked from `group-sync` in this process. Each result is
 * compared with the single-invocation pass over the same tenant (tables of their own).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import type { Services } from '../../shared/services.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { contents, fanOutServices, workQueue } from '../support/fan-out.js';
import { clear, useQueueService } from '../support/notifications.js';
import { assignedGroupIds, expectTablesMatchEntra, membersOf, run } from './helpers.js';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'fan-out',
    users: 120,
    groups: 30,
    assignedGroups: 18,
    membershipsPerGroup: { min: 3, max: 12 },
    nestingDepth: 2,
    nestedChains: 4,
    disabledFraction: 0.05,
    assignedUsers: 2,
  }),
);
const queues = useQueueService();

beforeEach(async () => {
  sim.admin.reset();
  sim.faults.clear();
  await clear(queues.connectionString);
});

/** A full pass, fanned out and worked to its end; answers its run record. */
async function fannedOut(services: Services, options: Parameters<typeof run>[1] = {}) {
  const started = await run(services, options);
  expect(started.outcome).toBe('running');
  await workQueue(services, queues.connectionString);
  const record = await services.repository.findRun(started.runId);
  if (record === undefined) throw new Error('no run record');
  return record;
}

/** Both passes over the same tenant, from their own tables. */
function pair(environment: Record<string, string> = {}) {
  return {
    single: fanOutServices(sim, queues.connectionString, environment, false),
    fanned: fanOutServices(sim, queues.connectionString, environment),
  };
}

/** The assigned groups of distinct shares (shares of 4, in group id order) and direct members. */
function groupsInDistinctShares(count: number) {
  const state = sim.admin.getState();
  const sorted = assignedGroupIds(state).sort();
  const picked: { groupId: string; leavers: string[] }[] = [];
  for (let share = 0; share * 4 < sorted.length && picked.length < count; share += 1) {
    for (const groupId of sorted.slice(share * 4, share * 4 + 4)) {
      const group = state.groups.find((g) => g.id === groupId);
      const users = new Set(state.users.map((user) => user.id));
      const direct = (group?.members ?? []).filter((id) => users.has(id));
      if (direct.length >= 2) {
        picked.push({ groupId, leavers: direct.slice(0, 2) });
        break;
      }
    }
  }
  if (picked.length < count) throw new Error('the generated tenant has too few such groups');
  return picked;
}

describe('a fanned-out full pass', () => {
  it('splits the pass into shares and a sweep, and ends with the single pass’s tables', async () => {
    const { single, fanned } = pair();
    const one = await run(single);
    expect(one.outcome).toBe('succeeded');
    const record = await fannedOut(fanned);
    expect(record.outcome).toBe('succeeded');
    const state = await fanned.repository.fanOut.read(record.runId);
    // 18 groups in shares of 4, and the sweep.
    expect(state.shares.size).toBe(6);
    expect(record.summary).toMatchObject({
      groups: 18,
      teamsCreated: one.summary?.teamsCreated,
      usersCreated: one.summary?.usersCreated,
      membershipsAdded: one.summary?.membershipsAdded,
      tableWrites: one.summary?.tableWrites,
    });
    expect(await contents(fanned)).toEqual(await contents(single));
    await expectTablesMatchEntra(fanned, sim.admin.getState());
    expect((await fanned.repository.runAudit(record.runId)).length).toBe(
      (await single.repository.runAudit(one.runId)).length,
    );
  });

  it('writes nothing to Teams, Users or the audit log over an unchanged tenant', async () => {
    const { fanned } = pair();
    await fannedOut(fanned);
    const before = await contents(fanned, ['teams', 'users', 'audit']);
    const again = await fannedOut(fanned);
    expect(again.outcome).toBe('succeeded');
    expect(again.summary?.tableWrites).toBe(0);
    expect(await contents(fanned, ['teams', 'users', 'audit'])).toEqual(before);
  });

  it('counts the guard over the whole run: removals under the limit in each share, over it together, are held', async () => {
    const { single, fanned } = pair();
    await run(single);
    await fannedOut(fanned);
    const picked = groupsInDistinctShares(3);
    const before = sim.admin.getState();
    for (const { groupId, leavers } of picked) {
      for (const userId of leavers) sim.admin.removeMember(groupId, userId);
    }
    const after = sim.admin.getState();
    const removals = picked.reduce(
      (sum, { groupId }) => sum + membersOf(before, groupId).size - membersOf(after, groupId).size,
      0,
    );
    // The limit for these runs: under it in every share (2 at most), over it in the whole run.
    const limit = removals - 1;
    expect(limit).toBeGreaterThan(2);
    // One addition, which a held run still applies.
    const joiner = after.users.find(
      (user) => !membersOf(after, picked[0]?.groupId ?? '').has(user.id),
    );
    if (joiner === undefined || picked[0] === undefined) throw new Error('nobody to add');
    sim.admin.addMember(picked[0].groupId, joiner.id);

    const held = await fannedOut(fanned, { maxMembershipRemovals: limit });
    expect(held.outcome).toBe('held');
    expect(held.holdReason).toContain(`${removals} membership removals exceed`);
    expect(held.summary).toMatchObject({ membershipsRemoved: 0, membershipsHeld: removals });
    expect(held.summary?.membershipsAdded).toBeGreaterThanOrEqual(1);
    const shares = [...(await fanned.repository.fanOut.read(held.runId)).shares.values()];
    expect(shares.every((share) => share.removals <= 2)).toBe(true);
    expect(shares.filter((share) => share.removals > 0).length).toBe(3);
    const hold = await fanned.repository.readHold();
    expect(hold?.runId).toBe(held.runId);
    expect(hold?.teamIds === 'all' ? [] : [...(hold?.teamIds ?? [])].sort()).toEqual(
      picked.map(({ groupId }) => groupId).sort(),
    );
    expect((await run(single, { maxMembershipRemovals: limit })).outcome).toBe('held');
    expect(await contents(fanned)).toEqual(await contents(single));

    // An operator's release for exactly that many removals applies them, over every share.
    const released = await fannedOut(fanned, { maxMembershipRemovals: removals });
    expect(released.outcome).toBe('succeeded');
    expect(released.summary?.membershipsRemoved).toBe(removals);
    expect(await fanned.repository.readHold()).toBeUndefined();
    await expectTablesMatchEntra(fanned, sim.admin.getState());
  });

  it('changes nothing wrong when every message is worked twice', async () => {
    const { single, fanned } = pair();
    const one = await run(single);
    const started = await run(fanned);
    await workQueue(fanned, queues.connectionString, { twice: true });
    const record = await fanned.repository.findRun(started.runId);
    expect(record?.outcome).toBe('succeeded');
    expect(record?.summary?.membershipsAdded).toBe(one.summary?.membershipsAdded);
    expect(await contents(fanned)).toEqual(await contents(single));

    // A change, then a run whose shares each run twice, removals included.
    const [{ groupId, leavers } = { groupId: '', leavers: [] }] = groupsInDistinctShares(1);
    sim.admin.removeMember(groupId, leavers[0] ?? '');
    await run(single);
    await run(fanned);
    await workQueue(fanned, queues.connectionString, { twice: true });
    expect(await contents(fanned)).toEqual(await contents(single));
    await expectTablesMatchEntra(fanned, sim.admin.getState());
  });

  it('sweeps: archives a team whose group is no longer assigned, flags a deleted member, syncs a user assigned directly', async () => {
    const { single, fanned } = pair();
    await run(single);
    await fannedOut(fanned);
    const state = sim.admin.getState();
    const [unassigned, other] = assignedGroupIds(state).sort();
    if (unassigned === undefined || other === undefined) throw new Error('no groups');
    sim.admin.unassignGroup(unassigned);
    const [deleted] = [...membersOf(state, other)];
    if (deleted === undefined) throw new Error('no member');
    sim.admin.deleteUser(deleted);
    const members = new Set(assignedGroupIds(state).flatMap((id) => [...membersOf(state, id)]));
    const outsider = state.users.find((user) => !members.has(user.id));
    if (outsider === undefined) throw new Error('everyone is a member');
    sim.admin.assignUser(outsider.id);

    const record = await fannedOut(fanned);
    expect(record.outcome).toBe('succeeded');
    expect(record.summary?.teamsArchived).toBe(1);
    expect((await fanned.repository.readTeam(unassigned)).team?.archived).toBe(true);
    expect((await fanned.repository.readUser(deleted)).user?.deletedInEntra).toBe(true);
    expect((await fanned.repository.readUser(outsider.id)).user).toBeDefined();
    await run(single);
    expect(await contents(fanned)).toEqual(await contents(single));
  });
});
