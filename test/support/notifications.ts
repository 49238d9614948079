/**
 * For the change-notification tests: Graph-shaped notification payloads, a queue service of the
 * file's own (so files never read each other's `group-sync`), a look into the queues, and a
 * stand-in for Graph's `/subscriptions` in front of the real fetch.
 *
 * The simulated tenant will serve `/subscriptions` itself; until then `subscriptionsStub().fetch`
 * answers those paths and passes everything else on. Swapping to the tenant is dropping that
 * wrapper where the services are built (see `notificationServices`).
 */
import { randomUUID } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll } from 'vitest';
import { startAzuriteQueue, type RunningAzuriteQueue } from '../../dev/azurite-queue.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
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

interface StubSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | undefined;
  clientState: string | undefined;
  expirationDateTime: string;
}

export interface SubscriptionsStub {
  readonly calls: { method: string; path: string; body: unknown }[];
  readonly subscriptions: Map<string, StubSubscription>;
  /** Graph no longer has it (expired, or removed on its side). */
  forget(subscriptionId: string): void;
  /** `/v1.0/subscriptions…` answered here, everything else by `next`. */
  fetch(next: typeof fetch): typeof fetch;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/**
 * Graph's `/subscriptions` as documented: a create first validates the notification and
 * lifecycle URLs (POST `?validationToken=`, expecting 200 text/plain with the token back
 * within 10 s), answers 201; PATCH renews (200) or 404; DELETE answers 204 or 404.
 */
export function subscriptionsStub(): SubscriptionsStub {
  const calls: SubscriptionsStub['calls'] = [];
  const subscriptions = new Map<string, StubSubscription>();

  async function validates(url: string): Promise<boolean> {
    const token = `Validation: ${randomUUID()} & <done>`;
    const response = await fetch(`${url}?validationToken=${encodeURIComponent(token)}`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    return (
      response.status === 200 &&
      (response.headers.get('content-type') ?? '').startsWith('text/plain') &&
      (await response.text()) === token
    );
  }

  async function answer(method: string, path: string, body: unknown): Promise<Response> {
    const id = /^\/subscriptions\/([^/]+)$/.exec(path)?.[1];
    if (method === 'POST' && path === '/subscriptions') {
      const request = body as Record<string, string | undefined>;
      const urls = [request.notificationUrl, request.lifecycleNotificationUrl].filter(
        (url): url is string => url !== undefined,
      );
      for (const url of new Set(urls)) {
        if (!(await validates(url))) {
          return json(400, {
            error: { code: 'ValidationError', message: 'Subscription validation request failed.' },
          });
        }
      }
      const created: StubSubscription = {
        id: randomUUID(),
        resource: request.resource ?? '',
        changeType: request.changeType ?? '',
        notificationUrl: request.notificationUrl ?? '',
        lifecycleNotificationUrl: request.lifecycleNotificationUrl,
        clientState: request.clientState,
        expirationDateTime: request.expirationDateTime ?? '',
      };
      subscriptions.set(created.id, created);
      const { clientState: _hidden, ...shown } = created;
      return json(201, shown);
    }
    const existing = id === undefined ? undefined : subscriptions.get(decodeURIComponent(id));
    if (existing === undefined) {
      return json(404, { error: { code: 'ResourceNotFound', message: 'Subscription not found' } });
    }
    if (method === 'PATCH') {
      existing.expirationDateTime = (body as { expirationDateTime: string }).expirationDateTime;
      const { clientState: _hidden, ...shown } = existing;
      return json(200, shown);
    }
    if (method === 'DELETE') {
      subscriptions.delete(existing.id);
      return new Response(null, { status: 204 });
    }
    return json(405, { error: { code: 'BadRequest', message: 'not supported' } });
  }

  return {
    calls,
    subscriptions,
    forget: (subscriptionId) => {
      subscriptions.delete(subscriptionId);
    },
    fetch: (next) => async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const url = new URL(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      );
      const path = url.pathname.replace(/^\/v1\.0/, '');
      if (!path.startsWith('/subscriptions')) return next(input, init);
      const method = (init?.method ?? 'GET').toUpperCase();
      const text = typeof init?.body === 'string' ? init.body : undefined;
      const body: unknown = text === undefined || text === '' ? undefined : JSON.parse(text);
      calls.push({ method, path, body });
      return answer(method, path, body);
    },
  };
}

/**
 * Services against the simulated tenant, the test Azurite and this file's queue service, with
 * notifications on (unless `NOTIFICATION_URL` is given as '') and `/subscriptions` on the stub.
 */
export function notificationServices(
  sim: SimulatedTenant,
  queueConnectionString: string,
  stub: SubscriptionsStub,
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
    // The one line to drop once the simulated tenant serves /subscriptions: `fetch: …`.
    createNotificationGraph: (options) =>
      createNotificationGraph(settings, { sleep: fast, ...options, fetch: stub.fetch(fetch) }),
    ...overrides,
  });
}
