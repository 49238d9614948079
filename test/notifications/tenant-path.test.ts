/**
 * The whole notification path with nothing crafted: a change in the simulated tenant, the
 * tenant's own change notification (batching, retries and its drop/delay/duplicate/reorder
 * faults), the app's webhook over HTTP, the group-sync queue on Azurite, the queue worker, and
 * both partitions of the tables. Dropped notifications are caught by the next delta round.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedFaultSpec } from '../../dev/tenant/feed-faults.js';
import { useServices, type Services } from '../../shared/services.js';
import { createRepository, tableClientFactory } from '../../shared/store/index.js';
import { reconcile } from '../../shared/sync/index.js';
import { entraMembers, expectTablesMatchEntra } from '../reconcile/helpers.js';
import { CountingTables } from '../support/counting-tables.js';
import {
  clear,
  eventually as eventuallyLogged,
  notificationServices,
  POISON,
  queued,
  useNotificationHost,
  unsubscribeAll,
  useQueueService,
} from '../support/notifications.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { testSettings } from '../support/services.js';
import { tablesOf, uniqueTablePrefix } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

/** The promise: a change is in both partitions within 5 s, no sign-in, no full pass. */
const FRESH_WITHIN_MS = 5_000;

const sim = useSimulatedTenant(SAMPLE);
const queues = useQueueService();
const logs: string[] = [];
let services: Services;
let tables: CountingTables;

const host = useNotificationHost({ logs, queues });

beforeEach(async () => {
  sim.admin.reset();
  sim.admin.clearFeedFaults();
  sim.admin.configureFeeds({ notificationMaxBatchSize: 100 });
  logs.length = 0;
  await Promise.all([clear(queues.connectionString), clear(queues.connectionString, POISON)]);
  const prefix = uniqueTablePrefix('NtPath');
  tables = new CountingTables(tableClientFactory(testSettings().tables), prefix);
  services = notificationServices(
    sim,
    queues.connectionString,
    { NOTIFICATION_URL: `${host.url}/api/graph/notifications`, TABLE_PREFIX: prefix },
    { repository: createRepository(tables) },
  );
  useServices(services);
  await reconcile(services, { trigger: 'cli' });
  await host.fireTimer('subscriptionUpkeep');
  expect(sim.admin.listSubscriptions()).toHaveLength(1);
  sim.resetCounters();
  tables.reset();
});
afterEach(async () => {
  await unsubscribeAll(sim, services);
  useServices(undefined);
});

const eventually = (check: () => Promise<boolean>, what: string, timeoutMs?: number) =>
  eventuallyLogged(check, what, logs, timeoutMs);

const bothSides = async (userId: string, teamId = S.evals) => {
  const { teamSide, userSide } = await entraMembers(services, teamId);
  return { team: teamSide.has(userId), user: userSide.has(userId) };
};
const isMember = async (userId: string) => {
  const sides = await bothSides(userId);
  return sides.team && sides.user;
};
const isGone = async (userId: string) => {
  const sides = await bothSides(userId);
  return !sides.team && !sides.user;
};

/** Every notification delivered and every message it queued worked (synced or coalesced). */
async function settled(): Promise<void> {
  await sim.admin.flushNotifications();
  await eventually(async () => {
    const counts = await services.repository.notifications.readCounts();
    return (
      (await queued(queues.connectionString)) === 0 &&
      counts.groupsSynced + counts.groupsCoalesced >= counts.groupsEnqueued
    );
  }, 'the queue worked off');
}

const writes = () => ({
  teams: tables.count('teams').writes,
  users: tables.count('users').writes,
});

/** The runs since the set-up's full pass: notification syncs only, never a sign-in or a full pass. */
async function runsSinceSetUp() {
  const runs = await services.repository.recentRuns(20);
  return runs.filter((run) => run.trigger !== 'cli');
}

function fault(spec: FeedFaultSpec): void {
  sim.admin.injectFeedFault(spec);
}

describe('a change in the tenant reaches both partitions through its notification', () => {
  it('a member added and removed directly, each within 5 s', async () => {
    sim.admin.addMember(S.evals, S.elif);
    await eventually(() => isMember(S.elif), 'Elif added on both sides', FRESH_WITHIN_MS);
    sim.admin.removeMember(S.evals, S.ben);
    await eventually(() => isGone(S.ben), 'Ben removed on both sides', FRESH_WITHIN_MS);
    await settled();
    await expectTablesMatchEntra(services, sim.admin.getState());
    // One run per change, or one alone: the first run's check of Entra after it wrote can see Ben
    // already gone and remove him too, and then the second notification's run writes nothing.
    const triggers = (await runsSinceSetUp()).map((run) => run.trigger);
    expect(triggers.length).toBeGreaterThanOrEqual(1);
    expect(triggers.length).toBeLessThanOrEqual(2);
    expect(new Set(triggers)).toEqual(new Set(['notification']));
    expect(sim.counters().notifications).toMatchObject({ dropped: 0, abandoned: 0 });
  });

  it('a member added to and removed from a nested group, each within 5 s', async () => {
    sim.admin.addMember(S.contractors, S.elif);
    await eventually(() => isMember(S.elif), 'Elif in evals through contractors', FRESH_WITHIN_MS);
    sim.admin.removeMember(S.contractors, S.chen);
    await eventually(() => isGone(S.chen), 'Chen out of evals', FRESH_WITHIN_MS);
    await settled();
    await expectTablesMatchEntra(services, sim.admin.getState());
    expect(new Set((await runsSinceSetUp()).map((run) => run.trigger))).toEqual(
      new Set(['notification']),
    );
  });

  it('a renamed group renames the team; an alias an operator chose is kept', async () => {
    sim.admin.renameGroup(S.evals, 'LLM Evals');
    await eventually(
      async () => (await services.repository.readTeam(S.evals)).team?.teamAlias === 'LLM Evals',
      'the team renamed',
      FRESH_WITHIN_MS,
    );
    expect((await services.repository.readTeam(S.evals)).team).toMatchObject({
      entraDisplayName: 'LLM Evals',
      teamAlias: 'LLM Evals',
    });

    const client = await tablesOf(services).table('teams');
    await client.upsertEntity(
      { partitionKey: S.evals, rowKey: 'team', teamAlias: 'Evaluations' },
      'Merge',
    );
    sim.admin.renameGroup(S.evals, 'LLM Evals (prod)');
    await eventually(
      async () =>
        (await services.repository.readTeam(S.evals)).team?.entraDisplayName === 'LLM Evals (prod)',
      'the second rename',
      FRESH_WITHIN_MS,
    );
    expect((await services.repository.readTeam(S.evals)).team).toMatchObject({
      entraDisplayName: 'LLM Evals (prod)',
      teamAlias: 'Evaluations',
    });
  });
});

describe("the tenant's notification faults", () => {
  it('dropped: nothing arrives, the tables stay behind, and the next delta round brings both partitions in step', async () => {
    // The delta round's first cursors, before anything changes.
    await host.fireTimer('delta');
    expect((await services.repository.deltaCursors()).length).toBeGreaterThan(0);
    fault({ kind: 'drop' });
    sim.admin.addMember(S.evals, S.elif);
    sim.admin.removeMember(S.evals, S.ben);
    await sim.admin.flushNotifications();
    expect(sim.counters().notifications).toMatchObject({ dropped: 1, delivered: 0 });
    expect((await services.repository.notifications.readCounts()).received).toBe(0);
    expect(await bothSides(S.elif)).toEqual({ team: false, user: false });
    expect(await bothSides(S.ben)).toEqual({ team: true, user: true });

    await host.fireTimer('delta');
    expect(await bothSides(S.elif)).toEqual({ team: true, user: true });
    expect(await bothSides(S.ben)).toEqual({ team: false, user: false });
    await expectTablesMatchEntra(services, sim.admin.getState());
    // The delta round did it (groups scope), not a full pass or a notification.
    expect(await services.repository.lastDeltaRound()).toMatchObject({
      outcome: 'synced',
      syncedGroups: [S.evals],
    });
    expect(
      (await runsSinceSetUp()).filter((run) => run.trigger !== 'delta').map((run) => run.trigger),
    ).toEqual([]);
  });

  it('duplicated: the same batch twice ends in the right state with the writes of one change', async () => {
    // What one change costs with no fault: the measure for the duplicated one.
    sim.admin.addMember(S.evals, S.elif);
    await eventually(() => isMember(S.elif), 'Elif added');
    await settled();
    const once = writes();
    expect(once.teams + once.users).toBeGreaterThan(0);

    tables.reset();
    fault({ kind: 'duplicate' });
    // Farah, like Elif, is new to the service: the same rows to write.
    sim.admin.addMember(S.evals, S.farah);
    await eventually(() => isMember(S.farah), 'Farah added');
    await settled();
    expect(sim.counters().notifications).toMatchObject({ duplicated: 1, delivered: 3 });
    expect((await services.repository.notifications.readCounts()).received).toBe(3);
    expect(writes()).toEqual(once);
    await expectTablesMatchEntra(services, sim.admin.getState());
    // One run record per change that wrote something: the duplicate wrote nothing.
    expect(await runsSinceSetUp()).toHaveLength(2);
  });

  it('reordered: a later batch delivered first, the earlier one after, ends in the right state with no extra writes', async () => {
    // One item per POST, so the two changes are two batches; the first is held back.
    sim.admin.configureFeeds({ notificationMaxBatchSize: 1 });
    sim.admin.addMember(S.evals, S.elif);
    await eventually(() => isMember(S.elif), 'Elif added');
    await settled();
    const oneAddition = writes();

    tables.reset();
    fault({ kind: 'reorder' });
    sim.admin.addMember(S.evals, S.farah);
    sim.admin.removeMember(S.evals, S.elif);
    await eventually(
      async () => (await isMember(S.farah)) && (await isGone(S.elif)),
      'Farah in and Elif out',
    );
    await settled();
    expect(sim.counters().notifications).toMatchObject({ reordered: 1, delivered: 3 });
    await expectTablesMatchEntra(services, sim.admin.getState());
    // Farah's rows and Elif's removal, nothing more: the held-back batch found nothing to do.
    const total = writes();
    expect(total.teams).toBe(oneAddition.teams * 2);
    expect(total.users).toBeLessThanOrEqual(oneAddition.users * 2);
  });

  it('delayed: a late notification still converges', async () => {
    fault({ kind: 'delay', delayMs: 1_500 });
    sim.admin.addMember(S.evals, S.elif);
    sim.admin.removeMember(S.contractors, S.dana);
    await eventually(
      async () => (await isMember(S.elif)) && (await isGone(S.dana)),
      'Elif in and Dana out after the delay',
    );
    await settled();
    expect(sim.counters().notifications).toMatchObject({ delayed: 1, delivered: 1 });
    await expectTablesMatchEntra(services, sim.admin.getState());
  });
});
