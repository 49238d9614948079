/**
 * Delta rounds against the simulated tenant's `groups/delta` and Azurite: cursors and their
 * links, what a quiet round costs, changes (direct, nested, rename, assignment) synced through
 * the groups scope, expired links falling back to the full pass, replays and the lease.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, type Services } from '../../shared/services.js';
import { createRepository, tableClientFactory } from '../../shared/store/index.js';
import { deltaRound } from '../../shared/sync/delta-round.js';
import { CountingTables } from '../support/counting-tables.js';
import { testSettings } from '../support/services.js';
import { uniqueTablePrefix } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, entraMembers, expectTablesMatchEntra, fast, run, snapshot } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
beforeEach(() => {
  sim.admin.reset();
  sim.admin.clearFeedFaults();
  sim.admin.configureFeeds({ deltaTokenExpiredAs: 'syncStateNotFound' });
});

interface Counted {
  readonly services: Services;
  readonly tables: CountingTables;
  /** Moves the services' clock ahead of real time (rounds list the assignments by it). */
  readonly advance: (ms: number) => void;
}

const MINUTE = 60_000;

function countedServices(env: Record<string, string> = {}): Counted {
  const settings = testSettings({
    ...sim.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    TABLE_PREFIX: uniqueTablePrefix('RcDelta'),
    ...env,
  });
  const tables = new CountingTables(tableClientFactory(settings.tables), settings.tables.prefix);
  let ahead = 0;
  const clock = () => new Date(Date.now() + ahead);
  const services = createServices(settings, {
    repository: createRepository(tables),
    clock,
    createDirectory: (options) =>
      createDirectoryReader(settings, { sleep: fast, clock, ...options }),
  });
  return {
    services,
    tables,
    advance: (ms) => {
      ahead += ms;
    },
  };
}

/** A synced tenant with its first cursors recorded. */
async function started(env: Record<string, string> = {}): Promise<Counted> {
  const counted = countedServices(env);
  await run(counted.services);
  const first = await deltaRound(counted.services);
  expect(first.syncedGroups).toEqual([]);
  return counted;
}

describe('delta rounds', () => {
  it('a first round records one cursor over the assigned and nested groups, syncing nothing', async () => {
    const { services, tables } = countedServices();
    await run(services);
    tables.reset();
    const round = await deltaRound(services);
    expect(round).toMatchObject({ outcome: 'synced', cursorsStarted: 1, syncedGroups: [] });
    expect(tables.count('teams')).toEqual({ reads: 0, writes: 0 });
    expect(tables.count('users')).toEqual({ reads: 0, writes: 0 });
    const cursors = await services.repository.deltaCursors();
    expect(cursors).toHaveLength(1);
    expect([...(cursors[0]?.groupIds ?? [])].sort()).toEqual([S.contractors, S.evals].sort());
    expect(cursors[0]?.groupIds.length).toBeLessThanOrEqual(50);
    expect(cursors[0]?.deltaLink).toContain('$deltatoken=');
    expect(cursors[0]?.memberGroups[S.evals]).toEqual([S.contractors]);
    expect(cursors[0]?.assignedGroupIds).toEqual([S.evals]);
  });

  it('a first round with no full pass on record falls back to one', async () => {
    const { services } = countedServices();
    const round = await deltaRound(services);
    expect(round.outcome).toBe('full-pass');
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('an unchanged round reads and writes no Teams or Users rows, and one delta request per cursor', async () => {
    const { services, tables } = await started();
    const before = await snapshot(services, ['teams', 'users', 'state']);
    tables.reset();
    sim.resetCounters();
    const round = await deltaRound(services);
    expect(round).toMatchObject({ outcome: 'unchanged', cursors: 1, tableWrites: 0 });
    expect(sim.counters().delta.requests).toBe(1);
    // The assignments were listed by the round before, within DELTA_ASSIGNMENT_CHECK_SECONDS.
    expect(round.graphRequests).toBe(1);
    expect(tables.count('teams')).toEqual({ reads: 0, writes: 0 });
    expect(tables.count('users')).toEqual({ reads: 0, writes: 0 });
    // The round's own bookkeeping: the lease taken and released, the cursors read, no cursor rewritten.
    expect(tables.count('state').writes).toBe(2);
    const after = await snapshot(services, ['teams', 'users', 'state']);
    const withoutLease = (rows: Record<string, unknown>[] | undefined) =>
      (rows ?? []).filter((row) => row.rowKey !== 'lease');
    expect(after.teams).toEqual(before.teams);
    expect(after.users).toEqual(before.users);
    expect(withoutLease(after.state)).toEqual(withoutLease(before.state));
  });

  it('a member added and one removed in an assigned group: both partitions after one round', async () => {
    const { services } = await started();
    sim.admin.addMember(S.evals, S.gus);
    sim.admin.removeMember(S.evals, S.ben);
    const round = await deltaRound(services);
    expect(round).toMatchObject({ outcome: 'synced', syncedGroups: [S.evals] });
    const { teamSide, userSide } = await entraMembers(services, S.evals);
    expect(teamSide.has(S.gus) && userSide.has(S.gus)).toBe(true);
    expect(teamSide.has(S.ben) || userSide.has(S.ben)).toBe(false);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('a change in a nested group syncs the assigned group that contains it', async () => {
    const { services } = await started();
    sim.admin.addMember(S.contractors, S.elif);
    const round = await deltaRound(services);
    expect(round.changedGroups).toEqual([S.contractors]);
    expect(round.syncedGroups).toEqual([S.evals]);
    expect((await entraMembers(services, S.evals)).teamSide.has(S.elif)).toBe(true);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('a rename renames the team and its alias while the alias followed the group', async () => {
    const { services } = await started();
    sim.admin.renameGroup(S.evals, 'LLM Evals');
    await deltaRound(services);
    const team = (await services.repository.readTeam(S.evals)).team;
    expect(team).toMatchObject({ entraDisplayName: 'LLM Evals', teamAlias: 'LLM Evals' });
  });

  it('a replayed round syncs at most a no-op: no Teams or Users writes', async () => {
    const { services, tables } = await started();
    sim.admin.addMember(S.evals, S.gus);
    await deltaRound(services);
    sim.admin.injectFeedFault({ kind: 'replay' });
    tables.reset();
    const replayed = await deltaRound(services);
    expect(replayed.syncedGroups).toEqual([S.evals]);
    expect(replayed.tableWrites).toBe(0);
    expect(tables.count('teams').writes + tables.count('users').writes).toBe(0);
  });

  it('with DELTA_ASSIGNMENT_CHECK_SECONDS=0 every round lists the assignments as well', async () => {
    const { services } = await started({ DELTA_ASSIGNMENT_CHECK_SECONDS: '0' });
    sim.resetCounters();
    const round = await deltaRound(services);
    expect(round).toMatchObject({ outcome: 'unchanged', cursors: 1, graphRequests: 2 });
    sim.admin.assignGroup(S.prodTeam);
    expect((await deltaRound(services)).syncedGroups).toEqual([S.prodTeam]);
  });

  it('a newly assigned group gets a cursor and its team in the first round that lists assignments', async () => {
    const { services, advance } = await started();
    sim.admin.assignGroup(S.prodTeam);
    advance(5 * MINUTE);
    const quiet = await deltaRound(services);
    expect(quiet).toMatchObject({ outcome: 'unchanged', graphRequests: 1, syncedGroups: [] });
    advance(30 * MINUTE);
    const round = await deltaRound(services);
    expect(round).toMatchObject({ cursorsStarted: 1, syncedGroups: [S.prodTeam] });
    expect((await services.repository.readTeam(S.prodTeam)).team?.createdBy).toBe('delta');
    const covered = (await services.repository.deltaCursors()).flatMap((c) => c.groupIds);
    expect(covered).toContain(S.prodTeam);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('an unassigned group: its team archived by the groups scope, its cursor dropped', async () => {
    const { services, advance } = await started();
    sim.admin.unassignGroup(S.evals);
    advance(30 * MINUTE);
    const round = await deltaRound(services);
    expect(round).toMatchObject({ cursorsDropped: 1, syncedGroups: [S.evals] });
    expect((await services.repository.readTeam(S.evals)).team?.archived).toBe(true);
    expect(await services.repository.deltaCursors()).toEqual([]);
  });

  it('a deleted assigned group is archived by the groups scope', async () => {
    const { services } = await started();
    sim.admin.deleteGroup(S.evals);
    const round = await deltaRound(services);
    expect(round.syncedGroups).toContain(S.evals);
    expect((await services.repository.readTeam(S.evals)).team?.archived).toBe(true);
  });

  it.each(['syncStateNotFound', 'resyncRequired'] as const)(
    'an expired link (%s) falls back to the full pass and restarts the cursors',
    async (expiredAs) => {
      const { services } = await started();
      const [old] = await services.repository.deltaCursors();
      sim.admin.configureFeeds({ deltaTokenExpiredAs: expiredAs });
      sim.admin.expireDeltaTokens();
      sim.admin.addMember(S.evals, S.gus);
      const round = await deltaRound(services);
      expect(round).toMatchObject({ outcome: 'full-pass', cursorsStarted: 1, cursorsDropped: 1 });
      const runs = await services.repository.recentRuns(1);
      expect(runs[0]).toMatchObject({ runId: round.fullPassRunId, trigger: 'delta' });
      const [fresh] = await services.repository.deltaCursors();
      expect(fresh?.cursorId).not.toBe(old?.cursorId);
      await expectTablesMatchEntra(services, sim.admin.getState());
      expect((await deltaRound(services)).outcome).toBe('unchanged');
    },
  );

  it('an expired link between assignment listings: the new cursors follow what is assigned now', async () => {
    const { services, advance } = await started();
    sim.admin.assignGroup(S.prodTeam);
    sim.admin.expireDeltaTokens();
    advance(5 * MINUTE);
    const round = await deltaRound(services);
    expect(round.outcome).toBe('full-pass');
    const cursors = await services.repository.deltaCursors();
    expect(cursors.flatMap((cursor) => cursor.assignedGroupIds)).toContain(S.prodTeam);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('two rounds at once: one runs, the other is skipped', async () => {
    const { services } = await started();
    const rounds = await Promise.all([deltaRound(services), deltaRound(services)]);
    expect(rounds.map((round) => round.outcome).sort()).toEqual(['skipped', 'unchanged']);
  });
});
