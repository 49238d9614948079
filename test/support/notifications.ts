/**
 * For the change-notification tests: Graph-shaped notification payloads, a queue service of the
 * file's own (so files never read each other's `group-sync`), a look into the queues, and services
 * whose `/subscriptions` calls go to the simulated tenant (which validates the real webhook).
 */
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll } from 'vitest';
import { startAzuriteQueue, type RunningAzuriteQueue } from '../../dev/azurite-queue.js';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { functionDefinitions } from '../../functions/index.js';
import type { FunctionDefinition } from '../../functions/registry.js';
import { createDirectoryReader, createNotificationGraph } from '../../shared/graph/index.js';
import {
  GROUP_SYNC_POISON_QUEUE,
  GROUP_SYNC_QUEUE,
  groupSyncMessageSchema,
  type GroupSyncMessage,
} from '../../shared/queue/index.js';
import { createServices, type Services } from '../../shared/services.js';
import { fast } from '../reconcile/helpers.js';
import { testSettings } from './services.js';
import { uniqueTablePrefix } from './tables.js';

export const CLIENT_STATE = 'test-client-state-0123456789abcdef-not-a-real-secret';
export const SUBSCRIPTION_ID = '11a1c0de-0000-4000-8000-00000000abcd';

/** One change notification for a group, as Graph sends it for `/groups`. */
export function groupChange(groupId: string, clientState = CLIENT_STATE, changeType = 'updated') {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    subscriptionExpirationDateTime: '2026-12-20T10:00:00.0000000+00:00',
    changeType,
    resource: `Groups/${groupId}`,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Group',
      '@odata.id': `Groups/${groupId}`,
      id: groupId,
      organizationId: 'ed9edb31-570a-4bd3-8e62-38ce0164e9a8',
      eventTime: '2026-12-01T10:00:00.0000000Z',
      sequenceNumber: 1,
    },
    clientState,
    tenantId: 'ed9edb31-570a-4bd3-8e62-38ce0164e9a8',
  };
}

export function lifecycleEvent(
  event: string,
  subscriptionId = SUBSCRIPTION_ID,
  clientState = CLIENT_STATE,
) {
  return {
    subscriptionId,
    subscriptionExpirationDateTime: '2026-12-20T10:00:00.0000000+00:00',
    tenantId: 'ed9edb31-570a-4bd3-8e62-38ce0164e9a8',
    clientState,
    lifecycleEvent: event,
  };
}

/** A queue service for this test file alone, started before its tests. */
export function useQueueService(): { readonly connectionString: string } {
  let running: RunningAzuriteQueue | undefined;
  beforeAll(async () => {
    running = await startAzuriteQueue();
  });
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get connectionString() {
      if (running === undefined) throw new Error('the queue service is not running');
      return running.connectionString;
    },
  };
}

export function queue(connectionString: string, name = GROUP_SYNC_QUEUE): QueueClient {
  return new QueueClient(connectionString, name);
}

/** Takes every message off a queue (decoded and checked), leaving it empty. */
export async function drain(connectionString: string, name = GROUP_SYNC_QUEUE) {
  const client = queue(connectionString, name);
  await client.createIfNotExists();
  const messages: GroupSyncMessage[] = [];
  for (;;) {
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return messages;
    for (const item of receivedMessageItems) {
      const text = Buffer.from(item.messageText, 'base64').toString('utf8');
      messages.push(groupSyncMessageSchema.parse(JSON.parse(text)));
      await client.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

/** Empties a queue without reading what is on it. */
export async function clear(connectionString: string, name = GROUP_SYNC_QUEUE) {
  const client = queue(connectionString, name);
  await client.createIfNotExists();
  await client.clearMessages();
}

/** Messages waiting (visible or not) on a queue. */
export async function queued(connectionString: string, name = GROUP_SYNC_QUEUE) {
  const client = queue(connectionString, name);
  await client.createIfNotExists();
  return (await client.getProperties()).approximateMessagesCount ?? 0;
}

export const POISON = GROUP_SYNC_POISON_QUEUE;

/**
 * Services against the simulated tenant, the test Azurite and this file's queue service, with
 * notifications on (unless `NOTIFICATION_URL` is given as '').
 */
export function notificationServices(
  sim: SimulatedTenant,
  queueConnectionString: string,
  environment: Record<string, string> = {},
  overrides: Partial<Services> = {},
): Services {
  const settings = testSettings({
    ...sim.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    TABLE_PREFIX: uniqueTablePrefix('Nt'),
    QUEUES_CONNECTION_STRING: queueConnectionString,
    NOTIFICATION_URL: 'http://localhost:7071/api/graph/notifications',
    NOTIFICATION_CLIENT_STATE: CLIENT_STATE,
    ...environment,
  });
  return createServices(settings, {
    createDirectory: (options) => createDirectoryReader(settings, { sleep: fast, ...options }),
    createNotificationGraph: (options) =>
      createNotificationGraph(settings, { sleep: fast, ...options }),
    ...overrides,
  });
}

/** The service's clock on the tenant's simulated time, so `advanceTime` moves both. */
export function tenantClock(sim: SimulatedTenant): () => Date {
  return () => new Date(Date.parse(sim.admin.now()));
}

/** Deletes every subscription the tenant has, so none posts into the next test. */
export async function unsubscribeAll(sim: SimulatedTenant, services: Services): Promise<void> {
  await sim.admin.flushNotifications();
  const { subscriptions } = services.createNotificationGraph();
  for (const subscription of sim.admin.listSubscriptions()) {
    await subscriptions.remove(String(subscription.id));
  }
}

/** Quick polls and no wait between attempts, for the tests' sake (host.json's retries otherwise). */
const TEST_QUEUE_SETTINGS = {
  visibilityTimeoutMs: 0,
  maxPollingIntervalMs: 100,
  messageEncoding: 'base64',
} as const;

/**
 * The stand-in host of a whole suite file: started before its tests (on the suite's queue
 * service when given), stopped after them. The handle forwards to the running host.
 */
export function useNotificationHost(options: {
  readonly logs: string[];
  readonly queues?: { readonly connectionString: string };
}): LocalHost {
  let running: LocalHost | undefined;
  beforeAll(async () => {
    running = await startNotificationHost({
      logs: options.logs,
      ...(options.queues !== undefined && { queues: options.queues.connectionString }),
    });
  });
  afterAll(async () => {
    await running?.stop();
  });
  return new Proxy({} as LocalHost, {
    get(_target, property) {
      if (running === undefined) throw new Error('the notification host is not running');
      const value: unknown = Reflect.get(running, property, running);
      return typeof value === 'function' ? (value as () => unknown).bind(running) : value;
    },
  });
}

/**
 * The stand-in host for a notification suite: the given functions (default all), logging into
 * `logs`; with a queue connection string its queue triggers poll that queue service.
 */
export function startNotificationHost(options: {
  readonly logs: string[];
  readonly queues?: string;
  readonly definitions?: readonly FunctionDefinition[];
  readonly maxDequeueCount?: number;
  readonly batchSize?: number;
}): Promise<LocalHost> {
  const { logs, queues } = options;
  return startLocalHost({
    definitions: options.definitions ?? functionDefinitions,
    port: 0,
    timers: false,
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...(queues === undefined
      ? { queues: false }
      : {
          settings: { AzureWebJobsStorage: queues },
          queueSettings: {
            ...TEST_QUEUE_SETTINGS,
            maxDequeueCount: options.maxDequeueCount ?? 3,
            batchSize: options.batchSize ?? 8,
          },
        }),
  });
}

/** Polls `check` every 25 ms until it holds; fails after `timeoutMs` with the host's log. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  logs: readonly string[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}; host log:\n${logs.join('\n')}`);
}
