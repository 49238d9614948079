import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startNotificationReceiver,
  type NotificationReceiver,
} from '../support/notification-receiver.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { SAMPLE, appToken, graphFetch, type GraphErrorBody } from './helpers.js';
import {
  expiryIn,
  subscribe,
  subscribed,
  unsubscribeAll,
  type SubscriptionBody,
} from './subscription-helpers.js';

const sim = useSimulatedTenant(SAMPLE, { feeds: { validationTimeoutMs: 500 } });
let token = '';
let receiver: NotificationReceiver;

beforeAll(async () => {
  token = await appToken(sim);
  receiver = await startNotificationReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  await unsubscribeAll(sim, token);
  receiver.clear();
  sim.resetCounters();
});

async function errorOf(res: Response): Promise<GraphErrorBody['error']> {
  return ((await res.json()) as GraphErrorBody).error;
}

describe('creating a subscription', () => {
  it('makes the validation handshake on both endpoints, then answers 201 with the subscription', async () => {
    const res = await subscribe(sim, token, receiver);
    expect(res.status).toBe(201);
    const sub = (await res.json()) as SubscriptionBody;
    expect(sub).toMatchObject({
      resource: '/groups',
      changeType: 'updated,deleted',
      clientState: 'secret-client-state',
      notificationUrl: receiver.url,
      lifecycleNotificationUrl: receiver.lifecycleUrl,
      applicationId: sim.clientId,
    });
    expect(sub.id).toMatch(/^[0-9a-f-]{36}$/);
    // Graph's token has spaces and colons: the endpoint sees it decoded.
    expect(receiver.validations).toHaveLength(2);
    expect(receiver.validations[0]).toMatch(
      /^Validation: Testing client application reachability for subscription Request-Id: [0-9a-f-]{36}$/,
    );
    expect(sim.counters().notifications.subscriptionsCreated).toBe(1);
  });

  it('accepts groups without a slash and a single group', async () => {
    await subscribed(sim, token, receiver, { resource: 'groups' });
    await subscribed(sim, token, receiver, {
      resource: 'groups/4d8c44e9-3dcb-4865-92df-15789e1fa41a',
    });
    expect(sim.admin.listSubscriptions()).toHaveLength(2);
  });

  it.each([
    ['answers 500', 'status500', 'must respond with 200 OK'],
    ['answers the wrong text', 'wrongBody', 'must exactly match validationToken'],
    ['answers JSON instead of text/plain', 'json', 'text/plain'],
    ['is slower than the validation timeout', { delayMs: 1500 }, 'timed out'],
  ] as const)('is refused with 400 when the endpoint %s', async (_what, behaviour, message) => {
    receiver.validation = behaviour;
    const res = await subscribe(sim, token, receiver);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).toContain('Subscription validation request');
    expect(error.message).toContain(message);
    expect(sim.admin.listSubscriptions()).toEqual([]);
    expect(sim.counters().notifications.validationFailures).toBe(1);
  });

  it('is refused when nothing listens at the notification URL', async () => {
    const res = await subscribe(sim, token, receiver, {
      notificationUrl: 'http://127.0.0.1:9/none',
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('must respond with 200 OK');
  });

  it.each([
    ['an expiry past 41,760 minutes', { expirationDateTime: 'far' }, 'can only be 41760 minutes'],
    ['an expiry in the past', { expirationDateTime: 'past' }, 'in the future'],
    ['a clientState over 128 characters', { clientState: 'x'.repeat(129) }, '128'],
    ['plain http to another host', { notificationUrl: 'http://example.com/notify' }, 'https'],
    ['a resource other than groups', { resource: '/users' }, 'not supported'],
    ['an unknown change type', { changeType: 'updated,renamed' }, 'renamed'],
    ['rich notifications', { includeResourceData: true }, 'includeResourceData'],
  ])('is refused with 400 for %s, without a handshake', async (_what, overrides, message) => {
    const body: Record<string, unknown> = { ...overrides };
    if (body.expirationDateTime === 'far') body.expirationDateTime = expiryIn(sim, 41_761);
    if (body.expirationDateTime === 'past') body.expirationDateTime = expiryIn(sim, -1);
    const res = await subscribe(sim, token, receiver, body);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain(message);
    expect(receiver.validations).toEqual([]);
  });

  it('takes exactly 41,760 minutes and a 128-character clientState', async () => {
    await subscribed(sim, token, receiver, {
      expirationDateTime: expiryIn(sim, 41_760),
      clientState: 'y'.repeat(128),
    });
  });

  it('allows at most 100 subscriptions per app: the 101st is 403', async () => {
    for (let i = 0; i < 100; i += 1)
      await subscribed(sim, token, receiver, { lifecycleNotificationUrl: null });
    const res = await subscribe(sim, token, receiver);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toContain('100');
  });
});

describe('reading, renewing, deleting and expiry', () => {
  it('lists and reads subscriptions', async () => {
    const sub = await subscribed(sim, token, receiver);
    const list = (await (await graphFetch(sim, token, '/subscriptions')).json()) as {
      value: SubscriptionBody[];
    };
    expect(list.value.map((s) => s.id)).toEqual([sub.id]);
    const one = await graphFetch(sim, token, `/subscriptions/${sub.id}`);
    expect(((await one.json()) as SubscriptionBody).id).toBe(sub.id);
  });

  it('renews with PATCH expirationDateTime, within the same limit', async () => {
    const sub = await subscribed(sim, token, receiver);
    const later = expiryIn(sim, 40_000);
    const res = await graphFetch(sim, token, `/subscriptions/${sub.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ expirationDateTime: later }),
    });
    expect(res.status).toBe(200);
    expect(Date.parse(((await res.json()) as SubscriptionBody).expirationDateTime)).toBe(
      Date.parse(later),
    );
    const tooFar = await graphFetch(sim, token, `/subscriptions/${sub.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ expirationDateTime: expiryIn(sim, 50_000) }),
    });
    expect(tooFar.status).toBe(400);
    expect(sim.counters().notifications.subscriptionsRenewed).toBe(1);
  });

  it('deletes with 204; the subscription is then 404', async () => {
    const sub = await subscribed(sim, token, receiver);
    expect(
      (await graphFetch(sim, token, `/subscriptions/${sub.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    const gone = await graphFetch(sim, token, `/subscriptions/${sub.id}`);
    expect(gone.status).toBe(404);
    expect(
      (await graphFetch(sim, token, `/subscriptions/${sub.id}`, { method: 'DELETE' })).status,
    ).toBe(404);
  });

  it('forgets an expired subscription: gone from GET, 404 to PATCH, and it sends nothing', async () => {
    const sub = await subscribed(sim, token, receiver, { expirationDateTime: expiryIn(sim, 30) });
    sim.admin.advanceTime(31 * 60_000);
    expect((await graphFetch(sim, token, `/subscriptions/${sub.id}`)).status).toBe(404);
    const list = (await (await graphFetch(sim, token, '/subscriptions')).json()) as {
      value: unknown[];
    };
    expect(list.value).toEqual([]);
    const renew = await graphFetch(sim, token, `/subscriptions/${sub.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ expirationDateTime: expiryIn(sim, 60) }),
    });
    expect(renew.status).toBe(404);
    sim.admin.renameGroup('4d8c44e9-3dcb-4865-92df-15789e1fa41a', 'Renamed after expiry');
    await sim.admin.flushNotifications();
    expect(receiver.posts).toEqual([]);
    expect(sim.counters().notifications.subscriptionsExpired).toBe(1);
  });
});
