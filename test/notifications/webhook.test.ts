/**
 * POST /api/graph/notifications through the stand-in host, as Graph calls it: the validation
 * handshake, crafted Graph-shaped payloads, and what reaches the group-sync queue.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useServices, type Services } from '../../shared/services.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import {
  CLIENT_STATE,
  drain,
  groupChange,
  lifecycleEvent,
  notificationServices,
  useNotificationHost,
  useQueueService,
} from '../support/notifications.js';

const sim = useSimulatedTenant(SAMPLE);
const queues = useQueueService();
const logs: string[] = [];
let services: Services;

const host = useNotificationHost({ logs });

function servicesWith(environment: Record<string, string> = {}): Services {
  return notificationServices(sim, queues.connectionString, {
    NOTIFICATION_URL: `${host.url}/api/graph/notifications`,
    ...environment,
  });
}

beforeEach(async () => {
  sim.admin.reset();
  services = servicesWith();
  useServices(services);
  await drain(queues.connectionString);
  // The group index is built once per process, off the request path of the tests that time it.
  await services.groupIndex.current(10_000);
});
afterEach(() => {
  useServices(undefined);
});

function post(body: unknown, init: { query?: string; headers?: Record<string, string> } = {}) {
  return fetch(`${host.url}/api/graph/notifications${init.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('the validation handshake', () => {
  it('answers 200 text/plain with the decoded token, at once', async () => {
    const token = 'Validation: Testing client application <b>&amp;</b> 100%';
    const started = Date.now();
    const response = await post('', { query: `?validationToken=${encodeURIComponent(token)}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(token);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('change notifications', () => {
  it('queues an assigned group that changed, once however often it is named', async () => {
    const response = await post({
      value: [groupChange(S.evals), groupChange(S.evals), groupChange(S.evals.toUpperCase())],
    });
    expect(response.status).toBe(202);
    const messages = await drain(queues.connectionString);
    expect(messages).toEqual([
      { kind: 'groups', groupIds: [S.evals], receivedAt: expect.any(String) as string },
    ]);
    expect((await services.repository.notifications.readCounts()).groupsEnqueued).toBe(1);
  });

  it('maps a nested group to the assigned groups that contain it', async () => {
    // Contractors is nested in Production LLM Evals Group, which is assigned.
    expect((await post({ value: [groupChange(S.contractors)] })).status).toBe(202);
    const messages = await drain(queues.connectionString);
    expect(messages.flatMap((message) => ('groupIds' in message ? message.groupIds : []))).toEqual([
      S.evals,
    ]);
  });

  it('drops a group neither assigned nor nested in one, and counts it', async () => {
    expect(
      (await post({ value: [groupChange(S.marketing), groupChange(S.prodTeam)] })).status,
    ).toBe(202);
    expect(await drain(queues.connectionString)).toEqual([]);
    expect(await services.repository.notifications.readCounts()).toMatchObject({
      received: 2,
      unknownGroups: 2,
      groupsEnqueued: 0,
    });
  });

  it('drops and counts items with a forged or missing clientState, and acts on none of them', async () => {
    const response = await post({
      value: [
        groupChange(S.evals, 'forged-client-state'),
        { ...groupChange(S.evals), clientState: undefined },
        groupChange(S.evals, `${CLIENT_STATE}x`),
        lifecycleEvent('subscriptionRemoved', 'a-subscription', 'forged'),
      ],
    });
    expect(response.status).toBe(202);
    expect(await drain(queues.connectionString)).toEqual([]);
    const counts = await services.repository.notifications.readCounts();
    expect(counts).toMatchObject({ received: 4, forged: 4, groupsEnqueued: 0 });
    // A forged batch is no sign that notifications flow.
    expect(counts.lastNotificationAt).toBeUndefined();
    expect(logs.join('\n')).toContain('4 with a wrong clientState');
  });

  it('answers a batch of 1,000 within 3 s, without asking Graph per item, with deduplicated messages', async () => {
    const value = Array.from({ length: 1_000 }, (_, index) => {
      if (index % 4 === 0) return groupChange(S.contractors);
      if (index % 4 === 1) return groupChange(S.evals);
      return groupChange(`00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
    });
    sim.resetCounters();
    const started = Date.now();
    const response = await post({ value });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(202);
    expect(elapsed).toBeLessThan(3_000);
    const graphRoutes = Object.keys(sim.counters().requestsByRoute).filter((route) =>
      route.includes('/v1.0/'),
    );
    expect(graphRoutes).toEqual([]);
    const messages = await drain(queues.connectionString);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'groups', groupIds: [S.evals] });
    expect(await services.repository.notifications.readCounts()).toMatchObject({
      received: 1_000,
      unknownGroups: 500,
      groupsEnqueued: 1,
      messagesEnqueued: 1,
    });
  });

  it('queues lifecycle events for the worker, deduplicated', async () => {
    const response = await post({
      value: [lifecycleEvent('reauthorizationRequired'), lifecycleEvent('reauthorizationRequired')],
    });
    expect(response.status).toBe(202);
    expect(await drain(queues.connectionString)).toEqual([
      expect.objectContaining({ kind: 'lifecycle', event: 'reauthorizationRequired' }),
    ]);
  });
});

describe('what the webhook refuses', () => {
  it('answers 400 to a body that is not JSON, without echoing it or a stack', async () => {
    const hostile = '{"value": [<script>alert(1)</script>';
    const response = await post(hostile);
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      error: 'request_invalid',
      message: 'The body is not JSON.',
      correlationId: expect.any(String) as unknown,
    });
    expect(body).not.toContain('<script>');
    expect(body).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers 400 to JSON that is not a notification collection', async () => {
    const response = await post({ value: 'nope' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'request_invalid' });
  });

  it('answers 413 to a body over the limit, declared or not', async () => {
    const big = JSON.stringify({ value: [{ padding: 'x'.repeat(2.5 * 1024 * 1024) }] });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'request_too_large' });
    // Chunked, no Content-Length: refused as it grows past the limit.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 6; index += 1) {
          controller.enqueue(new TextEncoder().encode('x'.repeat(512 * 1024)));
        }
        controller.close();
      },
    });
    const streamed = await fetch(`${host.url}/api/graph/notifications`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
    expect(await drain(queues.connectionString)).toEqual([]);
  });

  it('answers 404 to everything, the handshake included, when NOTIFICATION_URL is not set', async () => {
    useServices(servicesWith({ NOTIFICATION_URL: '' }));
    const handshake = await post('', { query: '?validationToken=abc' });
    expect(handshake.status).toBe(404);
    expect(await handshake.json()).toMatchObject({ error: 'not_found' });
    expect((await post({ value: [groupChange(S.evals)] })).status).toBe(404);
    expect(await drain(queues.connectionString)).toEqual([]);
  });
});
