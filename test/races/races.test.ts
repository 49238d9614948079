/**
 * Suite 5: writers that race. Sign-ins, notification syncs (the group-sync worker), a delta
 * round and a full pass all at once over a tenant that just changed, with operator edits in
 * the tables: the end state is Entra's, nothing the operator set is overwritten, and one more
 * pass writes nothing. Full passes started together: exactly one runs and writes, the others
 * are refused by the lease before they write anything. Outcomes only; no timings.
 * (Fifty first sign-ins at once: test/sign-in/burst.test.ts.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { isServiceError } from '../../shared/errors.js';
import { workGroupSyncMessage } from '../../shared/notifications/index.js';
import type { Services } from '../../shared/services.js';
import { createGroupDeltaFeed } from '../../shared/graph/delta.js';
import { deltaRound } from '../../shared/sync/delta-round.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import {
  assignedGroupIds,
  expectTablesMatchEntra,
  fast,
  membersOf,
  run,
  servicesFor,
  snapshot,
} from '../reconcile/helpers.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'races',
    users: 50,
    groups: 12,
    assignedGroups: 8,
    membershipsPerGroup: { min: 5, max: 12 },
    nestingDepth: 2,
    nestedChains: 3,
    disabledFraction: 0,
    assignedUsers: 1,
  }),
);
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  sim.admin.clearFeedFaults();
});

function racingServices(): Services {
  const base = servicesFor(sim, 'Race');
  return {
    ...base,
    createDeltaFeed: () => createGroupDeltaFeed(base.settings, { sleep: fast }),
  } as Services;
}

async function operatorSets(
  services: Services,
  role: 'teams' | 'users',
  partitionKey: string,
  rowKey: string,
  properties: Record<string, string | number>,
) {
  const client = await tablesOf(services).table(role);
  await client.upsertEntity({ partitionKey, rowKey, ...properties }, 'Merge');
}

describe('sign-ins, notifications, a delta round and a full pass at once', () => {
  it('end in Entra’s state with every operator edit kept, and the next pass writes nothing', async () => {
    const services = racingServices();
    await run(services);
    await deltaRound(services);
    const state = sim.admin.getState();
    const assigned = assignedGroupIds(state);
    const [budgeted = '', aliased = '', followed = '', shrinking = ''] = assigned;

    // The operator's: a budget and models, an alias, a user's budget and role, a manual member.
    await operatorSets(services, 'teams', budgeted, 'team', {
      maxBudget: 4242,
      models: '["gpt-4o"]',
    });
    await operatorSets(services, 'teams', aliased, 'team', { teamAlias: 'Chosen by the operator' });
    const someone = [...membersOf(state, budgeted)][0] ?? '';
    await operatorSets(services, 'users', someone, 'user', {
      maxBudget: 7,
      userRole: 'proxy_admin',
    });
    const outsider = state.users.find((user) => !membersOf(state, budgeted).has(user.id))?.id ?? '';
    const addedAt = '2026-01-01T00:00:00.000Z';
    await operatorSets(services, 'teams', budgeted, `member:${outsider}`, {
      userId: outsider,
      role: 'admin',
      source: 'manual',
      addedAt,
    });
    await operatorSets(services, 'users', outsider, `team:${budgeted}`, {
      teamId: budgeted,
      role: 'admin',
      source: 'manual',
      addedAt,
    });

    // Entra moves on: renames (one alias followed the group, one was chosen), joins, leaves.
    sim.admin.renameGroup(aliased, 'Renamed in Entra (alias kept)');
    sim.admin.renameGroup(followed, 'Renamed in Entra (alias follows)');
    const leavers = (state.groups.find((group) => group.id === shrinking)?.members ?? [])
      .filter((id) => state.users.some((user) => user.id === id))
      .slice(0, 2);
    for (const leaver of leavers) sim.admin.removeMember(shrinking, leaver);
    const joiners = state.users
      .filter((user) => !membersOf(state, budgeted).has(user.id) && user.id !== outsider)
      .slice(0, 4)
      .map((user) => user.id);
    for (const joiner of joiners) sim.admin.addMember(budgeted, joiner);

    const now = sim.admin.getState();
    const signIns = [...new Set([...joiners, ...leavers, ...membersOf(now, followed)])].slice(
      0,
      20,
    );
    const receivedAt = new Date().toISOString();
    const log = { info: () => undefined, warn: () => undefined };
    const raced = await Promise.allSettled([
      reconcile(services, { trigger: 'cli' }),
      deltaRound(services),
      ...signIns.map((userId) => syncSignedInUser(services, { userId, tenantId: sim.tenantId })),
      ...[budgeted, shrinking, followed, aliased].map((groupId) =>
        workGroupSyncMessage({ kind: 'groups', groupIds: [groupId], receivedAt }, services, log),
      ),
    ]);
    // A sign-in may give up with store_conflict after its attempts; nothing else may fail.
    const failures = raced.flatMap((result) =>
      result.status === 'rejected' && !isServiceError(result.reason, 'store_conflict')
        ? [String(result.reason)]
        : [],
    );
    expect(failures).toEqual([]);

    const settled = await run(services);
    await expectTablesMatchEntra(services, now);
    const budgetedTeam = await services.repository.readTeam(budgeted);
    expect(budgetedTeam.team).toMatchObject({ maxBudget: 4242, models: ['gpt-4o'] });
    expect(budgetedTeam.members.get(outsider)).toMatchObject({ source: 'manual', role: 'admin' });
    expect((await services.repository.readUser(outsider)).teams.get(budgeted)).toMatchObject({
      source: 'manual',
      role: 'admin',
    });
    expect((await services.repository.readTeam(aliased)).team).toMatchObject({
      teamAlias: 'Chosen by the operator',
      entraDisplayName: 'Renamed in Entra (alias kept)',
    });
    expect((await services.repository.readTeam(followed)).team).toMatchObject({
      teamAlias: 'Renamed in Entra (alias follows)',
    });
    expect((await services.repository.readUser(someone)).user).toMatchObject({
      maxBudget: 7,
      userRole: 'proxy_admin',
    });
    // What the race left, the settling pass may still write; the one after writes nothing.
    expect(settled.summary?.membershipsRemoved).toBe(0);
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });
});

describe('full passes started together', () => {
  it('exactly one runs and writes; the others are refused before writing anything', async () => {
    const services = racingServices();
    await run(services);
    const state = sim.admin.getState();
    const groupId = assignedGroupIds(state)[0] ?? '';
    const joiner = state.users.find((user) => !membersOf(state, groupId).has(user.id))?.id ?? '';
    sim.admin.addMember(groupId, joiner);
    const before = await snapshot(services, ['teams', 'users', 'runs', 'audit']);

    const results = await Promise.allSettled([
      reconcile(services, { trigger: 'timer' }),
      reconcile(services, { trigger: 'cli' }),
      reconcile(services, { trigger: 'http' }),
      reconcile(services, { trigger: 'notification' }),
    ]);
    const ran = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const refused = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(ran).toHaveLength(1);
    expect(refused).toHaveLength(3);
    expect(refused.every((reason) => isServiceError(reason, 'sync_refused'))).toBe(true);
    // The one that ran made the whole change: one membership, both sides.
    expect(ran[0]?.record.summary).toMatchObject({ membershipsAdded: 1, conflicts: 0 });

    // Only its run record and audit are new: the refused ones left no trace in the tables.
    const after = await snapshot(services, ['runs', 'audit']);
    const newRuns = after.runs?.filter(
      (entity) => !before.runs?.some((old) => old.rowKey === entity.rowKey),
    );
    expect(newRuns?.map((entity) => entity.rowKey)).toHaveLength(1);
    await expectTablesMatchEntra(services, sim.admin.getState());
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });
});
