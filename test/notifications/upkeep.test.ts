/**
 * Keeping the subscription: the hourly timer and lifecycle notifications, against a stand-in
 * for Graph's /subscriptions that validates the notification URL through the real webhook.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import { functionDefinitions } from '../../functions/index.js';
import { MAX_GROUP_SUBSCRIPTION_MINUTES } from '../../shared/graph/index.js';
import { useServices, type Services } from '../../shared/services.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import {
  CLIENT_STATE,
  clear,
  drain,
  groupChange,
  lifecycleEvent,
  notificationServices,
  POISON,
  queued,
  subscriptionsStub,
  useQueueService,
  type SubscriptionsStub,
} from '../support/notifications.js';

const sim = useSimulatedTenant(SAMPLE);
const queues = useQueueService();
const DAY_MS = 24 * 60 * 60 * 1000;
const logs: string[] = [];
let host: LocalHost;
let stub: SubscriptionsStub;
let now: Date;

beforeAll(async () => {
  host = await startLocalHost({
    definitions: functionDefinitions,
    port: 0,
    timers: false,
    queues: false,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
});
afterAll(async () => {
  await host.stop();
});

let tablePrefix: string | undefined;

/** Services on a clock the test moves; the same tables for every call within a test. */
function servicesWith(environment: Record<string, string> = {}): Services {
  const services = notificationServices(
    sim,
    queues.connectionString,
    stub,
    {
      NOTIFICATION_URL: `${host.url}/api/graph/notifications`,
      ...(tablePrefix === undefined ? {} : { TABLE_PREFIX: tablePrefix }),
      ...environment,
    },
    { clock: () => now },
  );
  tablePrefix = services.settings.tables.prefix;
  useServices(services);
  return services;
}

beforeEach(async () => {
  sim.admin.reset();
  stub = subscriptionsStub();
  tablePrefix = undefined;
  now = new Date('2026-12-01T10:00:00.000Z');
  logs.length = 0;
  await Promise.all([clear(queues.connectionString), clear(queues.connectionString, POISON)]);
});
afterEach(() => {
  useServices(undefined);
});

async function status(): Promise<Record<string, unknown>> {
  const response = await fetch(`${host.url}/api/sync/status`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('the subscription upkeep timer', () => {
  it('creates one subscription on groups, validated through the webhook, and shows it', async () => {
    const services = servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls).toEqual([
      {
        method: 'POST',
        path: '/subscriptions',
        body: {
          changeType: 'updated,deleted',
          notificationUrl: `${host.url}/api/graph/notifications`,
          lifecycleNotificationUrl: `${host.url}/api/graph/notifications`,
          resource: 'groups',
          expirationDateTime: expect.any(String) as string,
          clientState: CLIENT_STATE,
        },
      },
    ]);
    const [created] = [...stub.subscriptions.values()];
    const lifetime = new Date(created?.expirationDateTime ?? 0).getTime() - now.getTime();
    expect(lifetime).toBeLessThanOrEqual(MAX_GROUP_SUBSCRIPTION_MINUTES * 60_000);
    expect(lifetime).toBeGreaterThan((MAX_GROUP_SUBSCRIPTION_MINUTES - 60) * 60_000);

    const shown = await status();
    expect(shown.notifications).toMatchObject({
      state: 'on',
      subscription: { id: created?.id, resource: 'groups', expiresAt: created?.expirationDateTime },
    });
    expect(JSON.stringify(shown)).not.toContain(CLIENT_STATE);
    // Nothing was lost: no catch-up.
    expect(await drain(queues.connectionString)).toEqual([]);
    expect(await services.repository.notifications.readSubscription()).toMatchObject({
      subscriptionId: created?.id,
    });
  });

  it('keeps a subscription with more than half its life left, renews one with less', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = [...stub.subscriptions.keys()][0];
    now = new Date(now.getTime() + 10 * DAY_MS);
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls.map((call) => call.method)).toEqual(['POST']);

    now = new Date(now.getTime() + 6 * DAY_MS);
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /subscriptions',
      `PATCH /subscriptions/${id ?? ''}`,
    ]);
    const renewedTo = stub.subscriptions.get(id ?? '')?.expirationDateTime ?? '';
    expect(new Date(renewedTo).getTime() - now.getTime()).toBeGreaterThan(28 * DAY_MS);
    expect(((await status()).notifications as Record<string, unknown>).subscription).toMatchObject({
      id,
      expiresAt: renewedTo,
      lastRenewedAt: now.toISOString(),
    });
  });

  it('recreates a subscription Graph no longer has, and queues a catch-up full pass', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const first = [...stub.subscriptions.keys()][0] ?? '';
    stub.forget(first);
    now = new Date(now.getTime() + 20 * DAY_MS);
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls.map((call) => call.method)).toEqual(['POST', 'PATCH', 'POST']);
    const second = [...stub.subscriptions.keys()][0];
    expect(second).not.toBe(first);
    expect(await drain(queues.connectionString)).toEqual([
      expect.objectContaining({ kind: 'catch-up', reason: 'subscription recreated' }),
    ]);
  });

  it('recreates the subscription when the clientState changes (rotation)', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const first = [...stub.subscriptions.keys()][0] ?? '';
    servicesWith({ NOTIFICATION_CLIENT_STATE: `${CLIENT_STATE}-rotated` });
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /subscriptions',
      `DELETE /subscriptions/${first}`,
      'POST /subscriptions',
    ]);
    expect(stub.calls[2]?.body).toMatchObject({ clientState: `${CLIENT_STATE}-rotated` });
  });

  it('is off without NOTIFICATION_URL: no Graph call, status says off, a leftover is deleted', async () => {
    servicesWith({ NOTIFICATION_URL: '' });
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls).toEqual([]);
    expect((await status()).notifications).toMatchObject({ state: 'off', subscription: null });
    expect(logs.join('\n')).toContain('change notifications are off');

    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = [...stub.subscriptions.keys()][0] ?? '';
    servicesWith({ NOTIFICATION_URL: '' });
    await host.fireTimer('subscriptionUpkeep');
    expect(stub.calls.at(-1)).toMatchObject({ method: 'DELETE', path: `/subscriptions/${id}` });
    expect(stub.subscriptions.size).toBe(0);
  });
});

describe('lifecycle notifications, acted on by the queue worker', () => {
  let worker: LocalHost;
  beforeAll(async () => {
    worker = await startLocalHost({
      definitions: functionDefinitions.filter((definition) => definition.trigger === 'queue'),
      port: 0,
      timers: false,
      settings: { AzureWebJobsStorage: queues.connectionString },
      queueSettings: {
        maxDequeueCount: 2,
        visibilityTimeoutMs: 0,
        batchSize: 4,
        maxPollingIntervalMs: 100,
        messageEncoding: 'base64',
      },
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
  });
  afterAll(async () => {
    await worker.stop();
  });

  async function lifecycle(event: string, subscriptionId: string) {
    const response = await fetch(`${host.url}/api/graph/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: [lifecycleEvent(event, subscriptionId)] }),
    });
    expect(response.status).toBe(202);
    const deadline = Date.now() + 15_000;
    while ((await queued(queues.connectionString)) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('reauthorizationRequired renews (and so reauthorizes) the subscription', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = [...stub.subscriptions.keys()][0] ?? '';
    await lifecycle('reauthorizationRequired', id);
    expect(stub.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /subscriptions',
      `PATCH /subscriptions/${id}`,
    ]);
    expect(((await status()).notifications as Record<string, unknown>).subscription).toMatchObject({
      lastLifecycleEvent: 'reauthorizationRequired',
    });
  });

  it('subscriptionRemoved recreates it and runs a catch-up full pass', async () => {
    const services = servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = [...stub.subscriptions.keys()][0] ?? '';
    stub.forget(id);
    await lifecycle('subscriptionRemoved', id);
    const deadline = Date.now() + 15_000;
    while ((await services.repository.recentRuns(1)).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stub.subscriptions.size).toBe(1);
    expect([...stub.subscriptions.keys()][0]).not.toBe(id);
    const [run] = await services.repository.recentRuns(1);
    expect(run).toMatchObject({ trigger: 'notification', outcome: 'succeeded' });
    expect((await services.repository.readTeam(S.evals)).team).toBeDefined();
  });
});

describe('secrets', () => {
  it('a generated clientState is kept in SyncState and never in a log line or a response', async () => {
    const services = servicesWith({ NOTIFICATION_CLIENT_STATE: '' });
    await host.fireTimer('subscriptionUpkeep');
    const kept = await tablesOf(services).readEntity('state', 'notifications', 'client-state');
    const secret = String(kept?.value);
    expect(secret.length).toBeGreaterThanOrEqual(64);
    expect(stub.calls[0]?.body).toMatchObject({ clientState: secret });

    const bodies: string[] = [];
    for (const clientState of [secret, 'forged']) {
      const response = await fetch(`${host.url}/api/graph/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: [groupChange(S.evals, clientState)] }),
      });
      bodies.push(await response.text());
    }
    bodies.push(JSON.stringify(await status()));
    const everything = [...logs, ...bodies].join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(0, 16));
  });

  it('a configured clientState is never in a log line, a response or a start-up error', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const everything = [...logs, JSON.stringify(await status())].join('\n');
    expect(everything).not.toContain(CLIENT_STATE);
    expect(() =>
      servicesWith({ NOTIFICATION_CLIENT_STATE: `${CLIENT_STATE} with a space` }),
    ).toThrow(/NOTIFICATION_CLIENT_STATE = \(hidden\)/);
  });
});
