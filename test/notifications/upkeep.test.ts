/**
 * Keeping the subscription against the simulated tenant's `/subscriptions`: the hourly timer
 * (create, keep, renew, recreate, off) on the tenant's simulated time, the tenant's validation
 * handshake answered by the app's own webhook over HTTP, and the lifecycle notifications the
 * tenant sends to that webhook, acted on by the queue worker.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../dev/host.js';
import { functionDefinitions } from '../../functions/index.js';
import { MAX_GROUP_SUBSCRIPTION_MINUTES } from '../../shared/graph/index.js';
import { useServices, type Services } from '../../shared/services.js';
import { entraMembers } from '../reconcile/helpers.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import {
  CLIENT_STATE,
  clear,
  drain,
  eventually as eventuallyLogged,
  groupChange,
  notificationServices,
  POISON,
  queued,
  startNotificationHost,
  useNotificationHost,
  tenantClock,
  unsubscribeAll,
  useQueueService,
} from '../support/notifications.js';

/** The tenant's answers to `/subscriptions` calls, e.g. `PATCH /v1.0/subscriptions/… -> 200`. */
const subscriptionCalls: string[] = [];
const sim = useSimulatedTenant(SAMPLE, {
  onRequest: (line) => {
    if (line.includes('/v1.0/subscriptions')) subscriptionCalls.push(line);
  },
});
const queues = useQueueService();
const DAY_MS = 24 * 60 * 60 * 1000;
const logs: string[] = [];

const host = useNotificationHost({ logs });

let tablePrefix: string | undefined;
let current: Services | undefined;

/** Services on the tenant's clock; the same tables for every call within a test. */
function servicesWith(environment: Record<string, string> = {}): Services {
  const services = notificationServices(
    sim,
    queues.connectionString,
    {
      NOTIFICATION_URL: `${host.url}/api/graph/notifications`,
      ...(tablePrefix === undefined ? {} : { TABLE_PREFIX: tablePrefix }),
      ...environment,
    },
    { clock: tenantClock(sim) },
  );
  tablePrefix = services.settings.tables.prefix;
  current = services;
  useServices(services);
  return services;
}

beforeEach(async () => {
  sim.admin.reset();
  sim.admin.clearFeedFaults();
  tablePrefix = undefined;
  logs.length = 0;
  await Promise.all([clear(queues.connectionString), clear(queues.connectionString, POISON)]);
  subscriptionCalls.length = 0;
});
afterEach(async () => {
  if (current !== undefined) await unsubscribeAll(sim, current);
  current = undefined;
  useServices(undefined);
});

async function status(): Promise<Record<string, unknown>> {
  const response = await fetch(`${host.url}/api/sync/status`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const subscriptionShown = async () =>
  ((await status()).notifications as Record<string, unknown>).subscription;

/** The tenant's subscriptions (as Graph shows them, clientState included). */
const tenantSubscriptions = () => sim.admin.listSubscriptions();
const onlySubscription = () => {
  const all = tenantSubscriptions();
  expect(all).toHaveLength(1);
  return all[0] ?? {};
};
/** Method and route of each `/subscriptions` call, with the tenant's status. */
const callsMade = () =>
  subscriptionCalls.map((line) =>
    line.replace(/subscriptions\/[0-9a-f-]{36}/, 'subscriptions/{id}'),
  );
const msUntil = (iso: unknown) => Date.parse(String(iso)) - Date.parse(sim.admin.now());

describe('the subscription upkeep timer', () => {
  it('creates one subscription on groups with the clientState, after the tenant validated the webhook', async () => {
    const services = servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual(['POST /v1.0/subscriptions -> 201']);
    const created = onlySubscription();
    expect(created).toMatchObject({
      resource: 'groups',
      changeType: 'updated,deleted',
      notificationUrl: `${host.url}/api/graph/notifications`,
      lifecycleNotificationUrl: `${host.url}/api/graph/notifications`,
      clientState: CLIENT_STATE,
    });
    expect(sim.counters().notifications).toMatchObject({
      subscriptionsCreated: 1,
      validationFailures: 0,
    });
    const lifetime = msUntil(created.expirationDateTime);
    expect(lifetime).toBeLessThanOrEqual(MAX_GROUP_SUBSCRIPTION_MINUTES * 60_000);
    expect(lifetime).toBeGreaterThan((MAX_GROUP_SUBSCRIPTION_MINUTES - 60) * 60_000);

    const shown = await status();
    expect(shown.notifications).toMatchObject({
      state: 'on',
      subscription: { id: created.id, resource: 'groups', lastError: null },
    });
    const { expiresAt } = (shown.notifications as { subscription: { expiresAt: string } })
      .subscription;
    expect(Date.parse(expiresAt)).toBe(Date.parse(String(created.expirationDateTime)));
    expect(JSON.stringify(shown)).not.toContain(CLIENT_STATE);
    expect(await services.repository.notifications.readSubscription()).toMatchObject({
      subscriptionId: created.id,
    });
    // Nothing was lost: no catch-up.
    expect(await drain(queues.connectionString)).toEqual([]);

    // It is live: a change in the tenant reaches the webhook, whose clientState check passes.
    sim.admin.addMember(S.evals, S.elif);
    await sim.admin.flushNotifications();
    expect(await drain(queues.connectionString)).toEqual([
      expect.objectContaining({ kind: 'groups', groupIds: [S.evals] }),
    ]);
  });

  it('is refused by the tenant when the webhook fails the handshake, and says so', async () => {
    servicesWith({ NOTIFICATION_URL: `${host.url}/api/not-the-webhook` });
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual(['POST /v1.0/subscriptions -> 400']);
    expect(tenantSubscriptions()).toEqual([]);
    expect(sim.counters().notifications.validationFailures).toBeGreaterThanOrEqual(1);
    expect(logs.join('\n')).toMatch(/\[subscriptionUpkeep\] failed: .*validation request failed/);
    expect(await subscriptionShown()).toBeNull();
  });

  it('keeps a subscription with more than half its life left and renews it well before expiry', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = onlySubscription().id;
    sim.admin.advanceTime(10 * DAY_MS);
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual(['POST /v1.0/subscriptions -> 201']);

    sim.admin.advanceTime(6 * DAY_MS);
    const before = msUntil(onlySubscription().expirationDateTime);
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual([
      'POST /v1.0/subscriptions -> 201',
      'PATCH /v1.0/subscriptions/{id} -> 200',
    ]);
    // Renewed with more than 12 days still left, to 29 days (Graph's 41,760 minutes) at most.
    expect(before).toBeGreaterThan(12 * DAY_MS);
    const renewed = onlySubscription();
    expect(renewed.id).toBe(id);
    expect(msUntil(renewed.expirationDateTime)).toBeGreaterThan(28 * DAY_MS);
    expect(msUntil(renewed.expirationDateTime)).toBeLessThanOrEqual(
      MAX_GROUP_SUBSCRIPTION_MINUTES * 60_000,
    );
    expect(sim.counters().notifications).toMatchObject({
      subscriptionsRenewed: 1,
      subscriptionsExpired: 0,
    });
    const shown = (await subscriptionShown()) as Record<string, unknown>;
    expect(shown).toMatchObject({ id });
    expect(Date.parse(String(shown.expiresAt))).toBe(
      Date.parse(String(renewed.expirationDateTime)),
    );
    // Renewed on the tenant's clock, 16 days after it was created.
    expect(-msUntil(shown.lastRenewedAt)).toBeLessThan(60_000);
    expect(
      Date.parse(String(shown.lastRenewedAt)) - Date.parse(String(shown.createdAt)),
    ).toBeGreaterThan(16 * DAY_MS - 60_000);
  });

  it('recreates a subscription deleted in the tenant, and queues a catch-up full pass', async () => {
    const services = servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const first = String(onlySubscription().id);
    // Removed on Graph's side without telling the app.
    await services.createNotificationGraph().subscriptions.remove(first);
    sim.admin.advanceTime(20 * DAY_MS);
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual([
      'POST /v1.0/subscriptions -> 201',
      'DELETE /v1.0/subscriptions/{id} -> 204',
      'PATCH /v1.0/subscriptions/{id} -> 404',
      'POST /v1.0/subscriptions -> 201',
    ]);
    const second = onlySubscription().id;
    expect(second).not.toBe(first);
    expect(await subscriptionShown()).toMatchObject({ id: second });
    expect(await drain(queues.connectionString)).toEqual([
      expect.objectContaining({ kind: 'catch-up', reason: 'subscription recreated' }),
    ]);
  });

  it('recreates a subscription that expired in the tenant (the timer stopped for 30 days)', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const first = onlySubscription().id;
    sim.admin.advanceTime(30 * DAY_MS);
    expect(tenantSubscriptions()).toEqual([]);
    expect(sim.counters().notifications.subscriptionsExpired).toBe(1);
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade().slice(1)).toEqual([
      'PATCH /v1.0/subscriptions/{id} -> 404',
      'POST /v1.0/subscriptions -> 201',
    ]);
    expect(onlySubscription().id).not.toBe(first);
    expect(await drain(queues.connectionString)).toEqual([
      expect.objectContaining({ kind: 'catch-up', reason: 'subscription recreated' }),
    ]);
  });

  it('recreates the subscription when the clientState changes (rotation)', async () => {
    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    servicesWith({ NOTIFICATION_CLIENT_STATE: `${CLIENT_STATE}-rotated` });
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual([
      'POST /v1.0/subscriptions -> 201',
      'DELETE /v1.0/subscriptions/{id} -> 204',
      'POST /v1.0/subscriptions -> 201',
    ]);
    expect(onlySubscription()).toMatchObject({ clientState: `${CLIENT_STATE}-rotated` });
  });

  it('is off without NOTIFICATION_URL: no Graph call, status says off, a leftover is deleted', async () => {
    servicesWith({ NOTIFICATION_URL: '' });
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade()).toEqual([]);
    expect((await status()).notifications).toMatchObject({ state: 'off', subscription: null });
    expect(logs.join('\n')).toContain('change notifications are off');

    servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    expect(tenantSubscriptions()).toHaveLength(1);
    servicesWith({ NOTIFICATION_URL: '' });
    await host.fireTimer('subscriptionUpkeep');
    expect(callsMade().at(-1)).toBe('DELETE /v1.0/subscriptions/{id} -> 204');
    expect(tenantSubscriptions()).toEqual([]);
    expect((await status()).notifications).toMatchObject({ state: 'off', subscription: null });
  });
});

describe('lifecycle notifications from the tenant, acted on by the queue worker', () => {
  let worker: LocalHost;
  beforeAll(async () => {
    worker = await startNotificationHost({
      logs,
      queues: queues.connectionString,
      definitions: functionDefinitions.filter((definition) => definition.trigger === 'queue'),
      maxDequeueCount: 2,
      batchSize: 4,
    });
  });
  afterAll(async () => {
    await worker.stop();
  });

  const eventually = (check: () => Promise<boolean> | boolean, what: string) =>
    eventuallyLogged(check, what, logs);

  it('reauthorizationRequired: the worker renews, and the notifications Graph held arrive', async () => {
    const services = servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = String(onlySubscription().id);
    await sim.admin.requireReauthorization(id);
    // Held by the tenant until the app reauthorizes.
    sim.admin.addMember(S.evals, S.elif);
    await eventually(
      () => onlySubscription().reauthorizationRequired === false,
      'the renewal that reauthorizes',
    );
    expect(callsMade()).toEqual([
      'POST /v1.0/subscriptions -> 201',
      'PATCH /v1.0/subscriptions/{id} -> 200',
    ]);
    expect(await subscriptionShown()).toMatchObject({
      id,
      lastLifecycleEvent: 'reauthorizationRequired',
    });
    await eventually(async () => {
      const { teamSide, userSide } = await entraMembers(services, S.evals);
      return teamSide.has(S.elif) && userSide.has(S.elif);
    }, 'Elif on both sides, from the notification held during reauthorization');
  });

  it('subscriptionRemoved: the worker recreates it and runs a catch-up full pass', async () => {
    const services = servicesWith();
    await host.fireTimer('subscriptionUpkeep');
    const id = onlySubscription().id;
    await sim.admin.removeSubscription(String(id));
    await eventually(() => tenantSubscriptions().length === 1, 'the new subscription');
    expect(onlySubscription().id).not.toBe(id);
    await eventually(
      async () => (await services.repository.recentRuns(1))[0]?.outcome === 'succeeded',
      'the catch-up run',
    );
    const [run] = await services.repository.recentRuns(1);
    expect(run).toMatchObject({ trigger: 'notification', outcome: 'succeeded' });
    expect((await services.repository.readTeam(S.evals)).team).toBeDefined();
    expect(await subscriptionShown()).toMatchObject({
      id: onlySubscription().id,
      lastLifecycleEvent: 'subscriptionRemoved',
    });
    await eventually(async () => (await queued(queues.connectionString)) === 0, 'an empty queue');
  });
});

describe('secrets', () => {
  it('a generated clientState is kept in SyncState and never in a log line or a response', async () => {
    const services = servicesWith({ NOTIFICATION_CLIENT_STATE: '' });
    await host.fireTimer('subscriptionUpkeep');
    const kept = await tablesOf(services).readEntity('state', 'notifications', 'client-state');
    const secret = String(kept?.value);
    expect(secret.length).toBeGreaterThanOrEqual(64);
    expect(onlySubscription()).toMatchObject({ clientState: secret });

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
