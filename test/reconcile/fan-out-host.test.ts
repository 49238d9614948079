/**
 * The fanned-out full pass as it runs locally: the stand-in host's queue trigger over Azurite's
 * queue service works the shares, retries a share whose instance died, and poisons one that keeps
 * dying; the next run then converges. An instance "dies" here by throwing from the repository's
 * writes, the way a crash mid-share leaves the work to the queue's next delivery.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import { generateTenant } from '../../dev/tenant/generate.js';
import { functionDefinitions } from '../../functions/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import type { Repository } from '../../shared/store/index.js';
import type { Operation } from '../../shared/sync/operations.js';
import { teamOf } from '../../shared/sync/operations.js';
import { fanOutServices } from '../support/fan-out.js';
import { clear, POISON, queued, useQueueService } from '../support/notifications.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { assignedGroupIds, expectTablesMatchEntra, run } from './helpers.js';

const sim = useSimulatedTenant(
  generateTenant({
    seed: 'fan-out-host',
    users: 60,
    groups: 14,
    assignedGroups: 10,
    membershipsPerGroup: { min: 3, max: 8 },
    nestingDepth: 1,
    nestedChains: 2,
  }),
);
const queues = useQueueService();
const logs: string[] = [];
let host: LocalHost;

beforeAll(async () => {
  host = await startLocalHost({
    definitions: functionDefinitions,
    port: 0,
    timers: false,
    settings: { AzureWebJobsStorage: queues.connectionString },
    queueSettings: {
      maxDequeueCount: 3,
      visibilityTimeoutMs: 0,
      batchSize: 8,
      maxPollingIntervalMs: 100,
      messageEncoding: 'base64',
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
});
afterAll(async () => {
  await host.stop();
});
beforeEach(async () => {
  sim.admin.reset();
  logs.length = 0;
  await Promise.all([clear(queues.connectionString), clear(queues.connectionString, POISON)]);
});
afterEach(() => {
  useServices(undefined);
});

/** Services whose writes throw while `dies` says so, and whose clock can be moved on. */
function dyingServices(dies: (operations: readonly Operation[]) => boolean) {
  const base = fanOutServices(sim, queues.connectionString);
  const clock = { offsetMs: 0 };
  const repository: Repository = {
    ...base.repository,
    async apply(operations, basis) {
      if (dies(operations)) throw new Error('the instance died mid-share');
      return base.repository.apply(operations, basis);
    },
  };
  const services: Services = createServices(base.settings, {
    repository,
    createDirectory: base.createDirectory,
    clock: () => new Date(Date.now() + clock.offsetMs),
  });
  useServices(services);
  return { services, clock };
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; host log:\n${logs.join('\n')}`);
}

async function finished(services: Services, runId: string) {
  await eventually(
    async () => (await services.repository.findRun(runId))?.outcome !== 'running',
    `run ${runId} to finish`,
  );
  return services.repository.findRun(runId);
}

describe('the fanned-out full pass under the stand-in host', () => {
  it('retries a share whose instance died, and the run converges', async () => {
    let deaths = 2;
    const { services } = dyingServices(() => deaths-- > 0);
    const started = await run(services);
    expect(started.outcome).toBe('running');
    const record = await finished(services, started.runId);
    expect(record?.outcome).toBe('succeeded');
    expect(logs.some((line) => line.includes('failed (attempt 1)'))).toBe(true);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('poisons a share that keeps dying; the run stays open and the next run converges', async () => {
    const [doomed] = assignedGroupIds(sim.admin.getState()).sort();
    let dying = true;
    const { services, clock } = dyingServices(
      (operations) => dying && operations.some((operation) => teamOf(operation) === doomed),
    );
    const started = await run(services);
    await eventually(async () => (await queued(queues.connectionString, POISON)) === 1, 'poison');
    expect((await services.repository.findRun(started.runId))?.outcome).toBe('running');
    expect((await services.repository.readTeam(doomed ?? '')).team).toBeUndefined();

    // The dead run's lease expires (30 minutes), and the next run takes over.
    dying = false;
    clock.offsetMs = 31 * 60 * 1000;
    const next = await run(services);
    const record = await finished(services, next.runId);
    expect(record?.outcome).toBe('succeeded');
    await expectTablesMatchEntra(services, sim.admin.getState());
  });
});
