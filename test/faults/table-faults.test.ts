/**
 * Suite 4, Table Storage side: the real client against the real Azurite, with chosen requests
 * answered 503 or 412, or applied and their answer lost (the SDK retries a write that already
 * happened), and Azurite stopped and started again in the middle of a full pass. Each run ends
 * in Entra's state or reports what it could not write, never removing a membership Entra still
 * has, and the next fault-free run converges.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, type Services } from '../../shared/services.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import { assignedGroupIds, fast, membersOf, run } from '../reconcile/helpers.js';
import {
  startRestartableAzurite,
  type RestartableAzurite,
} from '../support/restartable-azurite.js';
import { testSettings } from '../support/services.js';
import { TableFaults } from '../support/table-faults.js';
import { azuriteConnectionString, uniqueTablePrefix } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import {
  changeEntra,
  entraMemberships,
  expectConverges,
  expectNothingLost,
  failedRun,
} from './helpers.js';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'faults-tables',
    users: 40,
    groups: 10,
    assignedGroups: 6,
    membershipsPerGroup: { min: 4, max: 9 },
    nestingDepth: 1,
    nestedChains: 2,
    disabledFraction: 0,
    assignedUsers: 0,
  }),
);
let faults: TableFaults;
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  faults = new TableFaults();
});

function faultyServices(
  connectionString = azuriteConnectionString(),
  sdkRetryWaits = false,
): Services {
  const prefix = uniqueTablePrefix('FaT');
  const settings = testSettings({
    ...sim.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    TABLE_PREFIX: prefix,
    TABLES_CONNECTION_STRING: connectionString,
  });
  return createServices(settings, {
    repository: faults.repository(connectionString, prefix, sdkRetryWaits),
    createDirectory: (options) => createDirectoryReader(settings, { sleep: fast, ...options }),
  });
}

/** Synced, then Entra moves on (`changeEntra`). */
async function syncedThenChanged(services: Services) {
  expect((await run(services)).outcome).toBe('succeeded');
  changeEntra(sim);
  return {
    before: await entraMemberships(services),
    assigned: assignedGroupIds(sim.admin.getState()),
  };
}

describe('Table Storage faults during a full pass', () => {
  it('503 on every write of one team: the run is partial, counts its failed writes, loses nothing', async () => {
    const services = faultyServices();
    const { before, assigned } = await syncedThenChanged(services);
    const teamId = assigned[2] ?? '';
    faults.inject({ method: 'POST', url: /\$batch/, fault: 503, times: Infinity });
    faults.inject({ url: new RegExp(`PartitionKey='${teamId}'`), fault: 503, times: Infinity });
    const record = await run(services);
    expect(record.outcome).toBe('partial');
    expect(record.summary?.failedWrites).toBeGreaterThan(0);
    expect(faults.hits[503]).toBeGreaterThan(0);
    const audit = await services.repository.runAudit(record.runId);
    expect(audit.some((entry) => entry.outcome === 'failed')).toBe(true);
    const state = sim.admin.getState();
    await expectNothingLost(services, before, state);
    faults.clear();
    await expectConverges(services, state);
  });

  it('412 on writes that were not stale: counted as conflicts, and the next run converges', async () => {
    const services = faultyServices();
    const { before } = await syncedThenChanged(services);
    faults.inject({ method: 'POST', url: /\$batch/, fault: 412, times: Infinity });
    faults.inject({ method: 'PATCH', url: /Teams\(/, fault: 412, times: 1 });
    faults.inject({ method: 'DELETE', url: /Teams\(/, fault: 412, times: 2 });
    const record = await run(services);
    expect(record.outcome).not.toBe('failed');
    // Writes that met a (pretended) stale ETag were not made, and say so.
    expect(record.summary?.conflicts).toBeGreaterThanOrEqual(2);
    const state = sim.admin.getState();
    await expectNothingLost(services, before, state);
    faults.clear();
    await expectConverges(services, state);
  });

  it('writes applied whose answers were lost: the SDK sends them again, and the tables end right', async () => {
    const services = faultyServices();
    const { before } = await syncedThenChanged(services);
    faults.inject({ method: 'POST', url: /\$batch/, fault: 'lost-answer', times: 4 });
    // Taking the lease: the SDK sends the write again and meets its own first attempt (412).
    faults.inject({ method: 'PATCH', url: /RowKey='lease'/, fault: 'lost-answer', times: 1 });
    faults.inject({ method: 'DELETE', fault: 'lost-answer', url: /./, times: 2 });
    faults.inject({ method: 'PATCH', fault: 'lost-answer', url: /Teams\(/, times: 2 });
    const record = await run(services);
    expect(faults.hits['lost-answer']).toBeGreaterThanOrEqual(6);
    // Retried writes meet their own first attempt (already done, or a stale ETag); a write the
    // SDK does not send again is reported failed, though it happened.
    expect(['succeeded', 'partial']).toContain(record.outcome);
    expect(record.summary?.failedWrites ?? 0).toBeLessThanOrEqual(faults.hits['lost-answer']);
    const state = sim.admin.getState();
    await expectNothingLost(services, before, state);
    await expectConverges(services, state);
  });

  it('503 while reading the tables: the run fails coded store_unavailable and frees its lease', async () => {
    const services = faultyServices();
    const { before } = await syncedThenChanged(services);
    faults.inject({ method: 'GET', url: /Teams\(\)/, fault: 503, times: Infinity });
    const error = await failedRun(run(services));
    expect(error.runRecord).toMatchObject({
      outcome: 'failed',
      error: { code: 'store_unavailable' },
    });
    expect(await entraMemberships(services).catch(() => before)).toEqual(before);
    faults.clear();
    const [stored] = await services.repository.recentRuns(1);
    expect(stored).toMatchObject({ outcome: 'failed', error: { code: 'store_unavailable' } });
    expect(await entraMemberships(services)).toEqual(before);
    // The lease was released: the next run is not refused.
    await expectConverges(services, sim.admin.getState());
  });

  it('a sign-in that meets 412s re-reads and settles', async () => {
    const services = faultyServices();
    await syncedThenChanged(services);
    const state = sim.admin.getState();
    const groupId = assignedGroupIds(state)[3] ?? '';
    const userId = [...membersOf(state, groupId)].find((id) =>
      state.users.some((user) => user.id === id && user.accountEnabled),
    );
    if (userId === undefined) throw new Error('no enabled member');
    faults.inject({ method: 'POST', url: /\$batch/, fault: 412, times: 2 });
    faults.inject({ url: new RegExp(`PartitionKey='${userId}'`), method: 'PATCH', fault: 412 });
    const result = await syncSignedInUser(services, { userId, tenantId: sim.tenantId });
    expect(result.teams.map((team) => team.teamId)).toContain(groupId);
    expect(faults.hits[412]).toBeGreaterThan(0);
  });
});

describe('Azurite stopped and started again in the middle of a full pass', () => {
  let azurite: RestartableAzurite;
  beforeAll(async () => {
    azurite = await startRestartableAzurite();
  });
  afterAll(async () => {
    await azurite.stop();
  });

  it('the SDK bridges the outage; the pass ends in Entra’s state, or reports what it missed', async () => {
    const services = faultyServices(azurite.connectionString, true);
    const { before } = await syncedThenChanged(services);
    const writesBefore = faults.requests.length;
    let restart: Promise<void> | undefined;
    // Restarted once the pass has read everything and sent its third write.
    faults.onRequest = (request, index) => {
      if (restart === undefined && request.method !== 'GET' && index > writesBefore + 2) {
        restart = azurite.restart();
      }
    };
    const outcome = await run(services).then(
      (record) => ({ record, error: undefined }),
      (error: unknown) => ({ record: undefined, error }),
    );
    await restart;
    expect(azurite.restarts).toBe(1);
    // Either it finished (the SDK's retries outlasted the restart) or it says what failed.
    if (outcome.record !== undefined) {
      expect(['succeeded', 'partial']).toContain(outcome.record.outcome);
    } else {
      expect((outcome.error as { runRecord?: { outcome: string } }).runRecord?.outcome).toBe(
        'failed',
      );
    }
    faults.clear();
    const state = sim.admin.getState();
    await expectNothingLost(services, before, state);
    await expectConverges(services, state);
  });
});
