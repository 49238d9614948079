/**
 * The engine's `groups` scope against the sample tenant: what a change notification or a
 * delta round will run. It syncs exactly the teams of its group ids.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../shared/services.js';
import { createSyncEngine } from '../../shared/sync/engine.js';
import { allTeams, tablesOf } from '../support/tables.js';
import {
  S,
  SAMPLE,
  entraMembers,
  expectTablesMatchEntra,
  membersOf,
  run,
  servicesFor,
  snapshot,
} from './helpers.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const sim = useSimulatedTenant(SAMPLE);
beforeEach(() => {
  sim.admin.reset();
});

function syncGroups(services: Services, ...groupIds: string[]) {
  const engine = createSyncEngine({ ...services, directory: services.createDirectory() });
  return engine.sync({ kind: 'groups', groupIds: new Set(groupIds) }, 'cli');
}

describe('a groups-scope sync', () => {
  it('syncs the teams of its groups, and a second identical sync writes nothing', async () => {
    const target = servicesFor(sim, 'RcGroups');
    const first = await syncGroups(target, S.evals);
    expect(first.summary).toMatchObject({
      teamsCreated: 1,
      usersCreated: 4,
      membershipsAdded: 4,
      tableWrites: 13,
    });
    await expectTablesMatchEntra(target, sim.admin.getState());

    const before = await snapshot(target);
    const second = await syncGroups(target, S.evals);
    expect(second.outcomes).toEqual([]);
    expect(second.summary.tableWrites).toBe(0);
    expect(await snapshot(target)).toEqual(before);
  });

  it('leaves teams outside its groups alone, and archives a scoped team no longer assigned', async () => {
    const target = servicesFor(sim, 'RcGroups');
    await syncGroups(target, S.evals);
    sim.admin.assignGroup(S.prodTeam);
    sim.admin.removeMember(S.evals, S.ben);

    const other = await syncGroups(target, S.prodTeam);
    expect(other.summary).toMatchObject({ teamsCreated: 1, membershipsRemoved: 0 });
    expect((await entraMembers(target, S.evals)).teamSide.has(S.ben)).toBe(true);
    expect((await entraMembers(target, S.prodTeam)).teamSide).toEqual(
      membersOf(sim.admin.getState(), S.prodTeam),
    );

    sim.admin.unassignGroup(S.evals);
    const archived = await syncGroups(target, S.evals);
    expect(archived.summary).toMatchObject({ teamsArchived: 1, membershipsRemoved: 4 });
    const teams = await allTeams(target);
    expect(teams.get(S.evals)?.team?.archived).toBe(true);
    expect(teams.get(S.prodTeam)?.team?.archived).toBe(false);
    await expectTablesMatchEntra(target, sim.admin.getState());
  });

  it('reads only the users whose membership changed, and leaves the others to the full pass', async () => {
    const target = servicesFor(sim, 'RcGroups');
    await syncGroups(target, S.evals);
    const [unchanged = ''] = [...membersOf(sim.admin.getState(), S.evals)].filter(
      (userId) => userId !== S.ben,
    );
    // Drift a groups sync does not look at: an unchanged member's mirror row is gone.
    const users = await tablesOf(target).table('users');
    await users.deleteEntity(unchanged, `team:${S.evals}`);
    sim.admin.removeMember(S.evals, S.ben);

    const changed = await syncGroups(target, S.evals);
    expect(changed.summary).toMatchObject({ membershipsRemoved: 1, tableWrites: 2 });
    expect(changed.outcomes.map((outcome) => outcome.operation.kind)).toEqual([
      'membership-removed',
    ]);
    expect((await entraMembers(target, S.evals)).userSide.has(unchanged)).toBe(false);

    const pass = await run(target);
    expect(pass.summary?.membershipsRepaired).toBe(1);
    await expectTablesMatchEntra(target, sim.admin.getState());
  });
});
