import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startNotificationReceiver,
  type NotificationReceiver,
} from '../support/notification-receiver.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, appToken, graphFetch } from './helpers.js';
import { subscribed, unsubscribeAll, type SubscriptionBody } from './subscription-helpers.js';

const FEEDS = {
  notificationBatchWindowMs: 30,
  notificationMaxBatchSize: 100,
  notificationTimeoutMs: 300,
  notificationRetryInitialMs: 20,
  notificationRetryMaxDelayMs: 100,
  notificationRetryForMs: 60_000,
  reorderHoldMs: 2000,
};
const sim = useSimulatedTenant(SAMPLE, { feeds: FEEDS });
let token = '';
let receiver: NotificationReceiver;
let sub: SubscriptionBody;

beforeAll(async () => {
  token = await appToken(sim);
  receiver = await startNotificationReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  await unsubscribeAll(sim, token);
  sim.admin.reset();
  sim.admin.clearFeedFaults();
  sim.admin.configureFeeds(FEEDS);
  sub = await subscribed(sim, token, receiver);
  receiver.clear();
  sim.resetCounters();
});

const groupsIn = (items: Record<string, unknown>[]): unknown[] =>
  items.map((i) => (i.resourceData as { id: string }).id);

describe('change notifications', () => {
  it('sends Graph’s payload for a member added to a group', async () => {
    sim.admin.addMember(S.prodTeam, S.ben);
    const [post] = await receiver.waitForPosts(1);
    await sim.admin.flushNotifications(); // the POST is answered and counted
    expect(post?.body).toEqual({
      value: [
        {
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: sub.expirationDateTime,
          changeType: 'updated',
          resource: `Groups/${S.prodTeam}`,
          resourceData: {
            '@odata.type': '#Microsoft.Graph.Group',
            '@odata.id': `Groups/${S.prodTeam}`,
            id: S.prodTeam,
            organizationId: S.tenantId,
            eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
            sequenceNumber: expect.any(Number) as unknown,
          },
          clientState: 'secret-client-state',
          tenantId: S.tenantId,
        },
      ],
    });
    expect(sim.counters().notifications).toMatchObject({ items: 1, posts: 1, delivered: 1 });
  });

  it('names the nested group, not its parents, for a member change inside it', async () => {
    sim.admin.removeMember(S.contractors, S.chen);
    await sim.admin.flushNotifications();
    expect(groupsIn(receiver.items())).toEqual([S.contractors]);
  });

  it('sends updated for a rename, a new group and a soft deletion; deleted when gone for good', async () => {
    sim.admin.renameGroup(S.evals, 'Evals');
    await sim.admin.flushNotifications();
    const created = '33333333-0000-4000-8000-000000000001';
    sim.admin.addGroup({ id: created, displayName: 'Created' });
    await sim.admin.flushNotifications();
    sim.admin.deleteGroup(S.allStaff);
    await sim.admin.flushNotifications();
    sim.admin.deleteGroup(S.marketing, { permanent: true });
    await sim.admin.flushNotifications();
    const seen = receiver.items().map((i) => [(i.resourceData as { id: string }).id, i.changeType]);
    expect(seen).toEqual([
      [S.evals, 'updated'],
      [created, 'updated'],
      [S.allStaff, 'updated'],
      [S.marketing, 'deleted'],
    ]);
  });

  it('sends a removed member as an update of each group the member left', async () => {
    sim.admin.deleteUser(S.ava);
    await sim.admin.flushNotifications();
    expect(new Set(groupsIn(receiver.items()))).toEqual(new Set([S.evals, S.prodTeam, S.allStaff]));
  });

  it('follows changes made over the admin HTTP API as well', async () => {
    const res = await fetch(`${sim.baseUrl}/_admin/groups/${S.prodTeam}/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ memberId: S.gus }),
    });
    expect(res.status).toBe(201);
    await receiver.waitForPosts(1);
    expect(groupsIn(receiver.items())).toEqual([S.prodTeam]);
    const purge = await fetch(`${sim.baseUrl}/_admin/groups/${S.marketing}`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ permanent: true }),
    });
    expect(purge.status).toBe(200);
    await sim.admin.flushNotifications();
    expect(receiver.items().at(-1)).toMatchObject({
      changeType: 'deleted',
      resource: `Groups/${S.marketing}`,
    });
  });

  it('sends only the change types subscribed to, and only for the group subscribed to', async () => {
    await unsubscribeAll(sim, token);
    await subscribed(sim, token, receiver, { changeType: 'deleted' });
    await subscribed(sim, token, receiver, { resource: `groups/${S.evals}` });
    receiver.clear();
    sim.admin.renameGroup(S.prodTeam, 'Prod');
    sim.admin.renameGroup(S.evals, 'Evals');
    sim.admin.deleteGroup(S.marketing, { permanent: true });
    await sim.admin.flushNotifications();
    expect(
      receiver.items().map((i) => [(i.resourceData as { id: string }).id, i.changeType]),
    ).toEqual(
      expect.arrayContaining([
        [S.evals, 'updated'],
        [S.marketing, 'deleted'],
      ]),
    );
    expect(receiver.items()).toHaveLength(2);
  });
});

describe('batching and retries', () => {
  it('puts changes made close together in one POST, up to the maximum batch size', async () => {
    sim.admin.addMember(S.prodTeam, S.ben);
    sim.admin.addMember(S.prodTeam, S.chen);
    sim.admin.addMember(S.prodTeam, S.dana);
    await receiver.waitForPosts(1);
    await sim.admin.flushNotifications();
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]?.body.value).toHaveLength(3);

    receiver.clear();
    sim.admin.configureFeeds({ notificationMaxBatchSize: 2 });
    sim.admin.renameGroup(S.evals, 'a');
    sim.admin.renameGroup(S.evals, 'b');
    sim.admin.renameGroup(S.evals, 'c');
    await sim.admin.flushNotifications();
    expect(receiver.posts.map((p) => p.body.value.length)).toEqual([2, 1]);
  });

  it('retries after a 500 and delivers the same body', async () => {
    receiver.script(500);
    sim.admin.renameGroup(S.evals, 'Retried');
    await receiver.waitForPosts(2);
    await sim.admin.flushNotifications();
    expect(receiver.posts[1]?.body).toEqual(receiver.posts[0]?.body);
    expect(sim.counters().notifications).toMatchObject({
      posts: 2,
      failedAttempts: 1,
      retries: 1,
      delivered: 1,
    });
  });

  it('retries a POST that is not answered within the timeout', async () => {
    receiver.script({ delayMs: 600 });
    sim.admin.renameGroup(S.evals, 'Slow');
    await receiver.waitForPosts(2);
    await sim.admin.flushNotifications();
    expect(sim.counters().notifications).toMatchObject({ failedAttempts: 1, retries: 1 });
  });

  it('gives up once the retry window (simulated time) is over', async () => {
    sim.admin.configureFeeds({
      notificationRetryForMs: 4 * 60 * 60_000,
      notificationRetryInitialMs: 50,
    });
    receiver.script(500, 500, 500, 500, 500, 500, 500, 500);
    sim.admin.renameGroup(S.evals, 'Never');
    await receiver.waitForPosts(2);
    sim.admin.advanceTime(5 * 60 * 60_000);
    await sim.admin.flushNotifications();
    const c = sim.counters().notifications;
    expect(c.abandoned).toBe(1);
    expect(c.delivered).toBe(0);
  });
});

describe('notification faults', () => {
  it('drops a POST', async () => {
    sim.admin.injectFeedFault({ kind: 'drop' });
    sim.admin.renameGroup(S.evals, 'Dropped');
    await sim.admin.flushNotifications();
    sim.admin.renameGroup(S.evals, 'Kept');
    await sim.admin.flushNotifications();
    expect(receiver.posts).toHaveLength(1);
    expect(sim.counters().notifications.dropped).toBe(1);
  });

  it('delays a POST', async () => {
    sim.admin.injectFeedFault({ kind: 'delay', delayMs: 300 });
    const start = Date.now();
    sim.admin.renameGroup(S.evals, 'Late');
    await receiver.waitForPosts(1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(300);
  });

  it('sends a POST twice', async () => {
    sim.admin.injectFeedFault({ kind: 'duplicate' });
    sim.admin.renameGroup(S.evals, 'Twice');
    await receiver.waitForPosts(2);
    expect(receiver.posts[1]?.body).toEqual(receiver.posts[0]?.body);
  });

  it('delivers a POST after the next one (reorder), over the admin HTTP API', async () => {
    const res = await fetch(`${sim.baseUrl}/_admin/feed-faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'reorder' }),
    });
    expect(res.status).toBe(201);
    sim.admin.renameGroup(S.evals, 'First');
    await new Promise((r) => setTimeout(r, 100)); // its batch window closes: a POST of its own
    sim.admin.renameGroup(S.prodTeam, 'Second');
    await receiver.waitForPosts(2);
    expect(groupsIn(receiver.items())).toEqual([S.prodTeam, S.evals]);
    const seq = receiver
      .items()
      .map((i) => (i.resourceData as { sequenceNumber: number }).sequenceNumber);
    expect(seq[0]).toBeGreaterThan(seq[1] ?? Infinity);
  });
});

describe('lifecycle notifications', () => {
  it('sends reauthorizationRequired and holds change notifications until the app reauthorizes', async () => {
    const notified = await sim.admin.requireReauthorization(sub.id);
    expect(notified).toEqual([sub.id]);
    expect(receiver.lifecycleItems()).toEqual([
      {
        subscriptionId: sub.id,
        subscriptionExpirationDateTime: sub.expirationDateTime,
        tenantId: S.tenantId,
        clientState: 'secret-client-state',
        lifecycleEvent: 'reauthorizationRequired',
      },
    ]);
    sim.admin.renameGroup(S.evals, 'Waiting');
    await sim.admin.flushNotifications();
    expect(receiver.items()).toEqual([]);
    const res = await graphFetch(sim, token, `/subscriptions/${sub.id}/reauthorize`, {
      method: 'POST',
    });
    expect(res.status).toBe(204);
    await receiver.waitForPosts(1);
    expect(groupsIn(receiver.items())).toEqual([S.evals]);
  });

  it('sends subscriptionRemoved when the tenant removes a subscription; it is then gone', async () => {
    const res = await fetch(`${sim.baseUrl}/_admin/subscriptions/${sub.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(receiver.lifecycleItems().map((i) => i.lifecycleEvent)).toEqual(['subscriptionRemoved']);
    expect((await graphFetch(sim, token, `/subscriptions/${sub.id}`)).status).toBe(404);
    expect(sim.counters().notifications.lifecycle).toBe(1);
  });
});
