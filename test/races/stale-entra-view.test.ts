/**
 * A writer whose view of Entra went stale before its write landed. A sync reads Graph, then the
 * tables, then writes; a change in Entra between its Graph read and its write, synced at once by
 * another writer, must not be undone by it (the load suite once ended with a member the tenant
 * had removed). Each case stages the interleaving with a hook in the injected directory or
 * repository, so it happens on every run; without the engine's check after a write (and its
 * retry of a stale ETag in a groups sync) each of these ends with the tables wrong.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import type { DirectoryReader } from '../../shared/graph/directory.js';
import type { GroupSyncMessage } from '../../shared/queue/index.js';
import type { Services } from '../../shared/services.js';
import type { Repository } from '../../shared/store/index.js';
import { workGroupSyncMessage } from '../../shared/notifications/index.js';
import { syncGroups } from '../../shared/sync/group-sync.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import { assignedGroupIds, entraMembers, run, servicesFor } from '../reconcile/helpers.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'stale-view',
    users: 30,
    groups: 4,
    assignedGroups: 3,
    membershipsPerGroup: { min: 4, max: 8 },
    nestingDepth: 0,
    disabledFraction: 0,
    assignedUsers: 0,
  }),
);
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
});

/** A member of an assigned group, and a user of the tenant who is in none of its groups. */
function pick(): { groupId: string; member: string; outsider: string } {
  const state = sim.admin.getState();
  const groupId = assignedGroupIds(state)[0] ?? '';
  const members = state.groups.find((group) => group.id === groupId)?.members ?? [];
  const inAnyGroup = new Set(state.groups.flatMap((group) => group.members));
  const outsider = state.users.find((user) => !inAnyGroup.has(user.id))?.id ?? '';
  return { groupId, member: members[0] ?? '', outsider };
}

/** The user joins the group, or leaves it if a member. */
function toggle(groupId: string, userId: string): void {
  const members = sim.admin.getState().groups.find((group) => group.id === groupId)?.members;
  if (members?.includes(userId) === true) sim.admin.removeMember(groupId, userId);
  else sim.admin.addMember(groupId, userId);
}

/**
 * The directory, except that `then` runs after the named read answered and before its caller
 * goes on: once, or after every such read.
 */
function directoryWithHook(
  directory: DirectoryReader,
  method: 'userWithGroups' | 'groupMembers',
  then: () => Promise<void> | void,
  every = false,
): DirectoryReader {
  let fired = false;
  return new Proxy(directory, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const answer: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(
          target,
          args,
        );
        if (!fired || every) {
          fired = true;
          await then();
        }
        return answer;
      };
    },
  });
}

async function expectNotAMember(services: Services, groupId: string, userId: string) {
  const { teamSide, userSide } = await entraMembers(services, groupId);
  expect(teamSide.has(userId), 'team side').toBe(false);
  expect(userSide.has(userId), 'user side').toBe(false);
}

describe('a sync whose view of Entra went stale before it wrote', () => {
  it('a sign-in does not put back a member that a group sync removed in between', async () => {
    const services = servicesFor(sim, 'Stale');
    await run(services);
    const { groupId, member } = pick();
    const signIn = {
      ...services,
      // Graph has answered the sign-in (still a member); then the member leaves the group and
      // the notification's group sync removes them before the sign-in reads the tables.
      directory: directoryWithHook(services.directory, 'userWithGroups', async () => {
        sim.admin.removeMember(groupId, member);
        const removed = await syncGroups(services, new Set([groupId]), 'notification');
        expect(removed.result.summary.membershipsRemoved).toBe(1);
      }),
    };
    await syncSignedInUser(signIn, { userId: member, tenantId: sim.tenantId });
    await expectNotAMember(services, groupId, member);
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });

  it('a group sync does not add a member that left while it was reading', async () => {
    const services = servicesFor(sim, 'Stale');
    await run(services);
    const { groupId, outsider } = pick();
    sim.admin.addMember(groupId, outsider);
    const stale = {
      ...services,
      // The first notification's sync has read the group (with the new member); the member
      // leaves, and the second notification's sync finds nothing to do (not in the tables yet).
      createDirectory: () =>
        directoryWithHook(services.createDirectory(), 'groupMembers', async () => {
          sim.admin.removeMember(groupId, outsider);
          const second = await syncGroups(services, new Set([groupId]), 'notification');
          expect(second.result.summary.tableWrites).toBe(0);
        }),
    };
    const first = await syncGroups(stale, new Set([groupId]), 'notification');
    await expectNotAMember(services, groupId, outsider);
    expect(first.result.settled).toBe(true);
    expect((await syncGroups(services, new Set([groupId]), 'notification')).record).toBeUndefined();
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });

  it('a group sync whose removal meets a stale ETag reads the rows again and removes', async () => {
    const services = servicesFor(sim, 'Stale');
    await run(services);
    const { groupId, member } = pick();
    sim.admin.removeMember(groupId, member);
    let touched = false;
    const repository: Repository = new Proxy(services.repository, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'apply' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (!touched) {
            touched = true;
            // Someone writes the member's row after the sync read it: its delete meets a new ETag.
            const users = await tablesOf(services).table('users');
            await users.upsertEntity(
              { partitionKey: member, rowKey: `team:${groupId}`, touchedBy: 'someone' },
              'Merge',
            );
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const outcome = await syncGroups(
      { ...services, repository },
      new Set([groupId]),
      'notification',
    );
    expect(touched).toBe(true);
    expect(outcome.result.summary.conflicts).toBeGreaterThan(0);
    expect(outcome.result.settled).toBe(true);
    await expectNotAMember(services, groupId, member);
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });

  it('a group sync whose Entra moves under every attempt says it is unsettled, and its message is retried', async () => {
    const services = servicesFor(sim, 'Stale');
    await run(services);
    const { groupId, outsider } = pick();
    sim.admin.addMember(groupId, outsider);
    // Whatever the sync reads, the outsider has joined or left again by the time it checks.
    const restless = {
      ...services,
      createDirectory: () =>
        directoryWithHook(
          services.createDirectory(),
          'groupMembers',
          () => {
            toggle(groupId, outsider);
          },
          true,
        ),
    };
    const receivedAt = new Date().toISOString();
    const log = { info: () => undefined, warn: () => undefined };
    await expect(
      workGroupSyncMessage({ kind: 'groups', groupIds: [groupId], receivedAt }, restless, log),
    ).rejects.toMatchObject({ code: 'graph_incomplete' });
    const [record] = await services.repository.recentRuns(1);
    expect(record).toMatchObject({ trigger: 'notification', outcome: 'partial' });
    const starts = await services.repository.notifications.groupSyncStarts([groupId]);
    expect(starts.get(groupId)).toBeUndefined();
    // Once Entra holds still, the retried message settles the group.
    await workGroupSyncMessage({ kind: 'groups', groupIds: [groupId], receivedAt }, services, log);
    expect(
      (await services.repository.notifications.groupSyncStarts([groupId])).get(groupId),
    ).toBeDefined();
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });

  it('a sign-in that gives up after writing hands its teams to the group-sync worker, which settles them', async () => {
    const services = servicesFor(sim, 'Stale');
    await run(services);
    const { groupId, outsider } = pick();
    const restlessly = () => {
      toggle(groupId, outsider);
    };
    restlessly();
    const handedOver: GroupSyncMessage[] = [];
    const restless = {
      ...services,
      // The outsider joins or leaves between every read the sign-in makes and its check.
      directory: directoryWithHook(services.directory, 'userWithGroups', restlessly, true),
      groupSyncQueue: {
        send: (messages: readonly GroupSyncMessage[]) => {
          handedOver.push(...messages);
          return Promise.resolve();
        },
      },
    };
    await expect(
      syncSignedInUser(restless, { userId: outsider, tenantId: sim.tenantId }),
    ).rejects.toMatchObject({ code: 'store_conflict' });
    expect(handedOver).toEqual([
      { kind: 'groups', groupIds: [groupId], receivedAt: expect.any(String) as string },
    ]);

    const log = { info: () => undefined, warn: () => undefined };
    for (const message of handedOver) await workGroupSyncMessage(message, services, log);
    const inEntra = sim.admin.getState().groups.find((g) => g.id === groupId)?.members ?? [];
    const { teamSide, userSide } = await entraMembers(services, groupId);
    expect(teamSide.has(outsider)).toBe(inEntra.includes(outsider));
    expect(userSide.has(outsider)).toBe(inEntra.includes(outsider));
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });
});
