/**
 * Suite 4 on the seconds-fresh path: the simulated tenant's own change notifications (with its
 * feed faults: dropped, duplicated, reordered), passed to the real webhook in the order they
 * arrive, its messages on Azurite's queue, and the real group-sync worker. A lost notification
 * is caught by the next delta round; a repeated one, or a queue message processed twice
 * (at-least-once delivery), syncs to a no-op; reordered ones end in Entra's state.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { graphNotifications } from '../../functions/graph-notifications.js';
import { createGroupDeltaFeed } from '../../shared/graph/delta.js';
import { workGroupSyncMessage } from '../../shared/notifications/index.js';
import { useServices, type Services } from '../../shared/services.js';
import { deltaRound } from '../../shared/sync/delta-round.js';
import { entraMembers, expectTablesMatchEntra, fast, run, snapshot } from '../reconcile/helpers.js';
import { invoke } from '../support/invoke.js';
import {
  startNotificationReceiver,
  type NotificationReceiver,
} from '../support/notification-receiver.js';
import {
  CLIENT_STATE,
  clear,
  drain,
  notificationServices,
  useQueueService,
} from '../support/notifications.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { appToken } from '../tenant/helpers.js';
import { subscribed, unsubscribeAll } from '../tenant/subscription-helpers.js';

const FEEDS = {
  notificationBatchWindowMs: 10,
  notificationMaxBatchSize: 100,
  notificationTimeoutMs: 2_000,
  notificationRetryInitialMs: 20,
  notificationRetryMaxDelayMs: 100,
  notificationRetryForMs: 60_000,
  reorderHoldMs: 5_000,
};
const sim = useSimulatedTenant(SAMPLE, { feeds: FEEDS });
const queues = useQueueService();
let receiver: NotificationReceiver;
let token = '';
let services: Services;
const log = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  receiver = await startNotificationReceiver();
  token = await appToken(sim);
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  await unsubscribeAll(sim, token);
  sim.admin.reset();
  sim.admin.clearFeedFaults();
  sim.admin.configureFeeds({ ...FEEDS, deltaTokenExpiredAs: 'syncStateNotFound' });
  await clear(queues.connectionString);
  const base = notificationServices(sim, queues.connectionString);
  services = {
    ...base,
    createDeltaFeed: () => createGroupDeltaFeed(base.settings, { sleep: fast }),
  } as Services;
  useServices(services);
  await run(services);
  await deltaRound(services);
  await subscribed(sim, token, receiver, { clientState: CLIENT_STATE });
  receiver.clear();
});
afterEach(() => {
  useServices(undefined);
});

async function until(check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries += 1) {
    if (tries > 400) throw new Error('the tenant never got there');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every POST the tenant made, to the webhook in arrival order; then the worker on each message. */
async function deliverAndWork(): Promise<{ posts: number; messages: number }> {
  await sim.admin.flushNotifications();
  const posts = [...receiver.posts];
  receiver.clear();
  for (const post of posts) {
    const answer = await invoke(graphNotifications, {
      method: 'POST',
      path: 'graph/notifications',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(post.body),
    });
    expect(answer.status, answer.text).toBe(202);
  }
  const messages = await drain(queues.connectionString);
  for (const message of messages) await workGroupSyncMessage(message, services, log);
  return { posts: posts.length, messages: messages.length };
}

describe('notifications that Graph loses, repeats or reorders', () => {
  it('a lost notification: nothing is queued, and the next delta round syncs the change', async () => {
    sim.admin.injectFeedFault({ kind: 'drop' });
    sim.admin.addMember(S.evals, S.gus);
    expect(await deliverAndWork()).toEqual({ posts: 0, messages: 0 });
    expect((await entraMembers(services, S.evals)).teamSide.has(S.gus)).toBe(false);
    const round = await deltaRound(services);
    expect(round.syncedGroups).toEqual([S.evals]);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('a repeated notification syncs the group once; the repeat writes nothing', async () => {
    sim.admin.injectFeedFault({ kind: 'duplicate' });
    sim.admin.addMember(S.evals, S.gus);
    const delivered = await deliverAndWork();
    expect(delivered.posts).toBe(2);
    expect(delivered.messages).toBeGreaterThanOrEqual(2);
    const counts = await services.repository.notifications.readCounts();
    expect(counts.groupsSynced).toBe(1);
    expect(counts.groupsCoalesced).toBeGreaterThanOrEqual(1);
    await expectTablesMatchEntra(services, sim.admin.getState());
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });

  it('reordered notifications (the later change first) end in Entra’s state', async () => {
    sim.admin.injectFeedFault({ kind: 'reorder' });
    sim.admin.addMember(S.evals, S.gus);
    // Its batch window passes and the POST is held back (a flush would release it).
    await until(() => sim.counters().notifications.reordered === 1);
    expect(receiver.posts).toHaveLength(0);
    sim.admin.removeMember(S.evals, S.ben);
    sim.admin.renameGroup(S.prodTeam, 'Prod, renamed after');
    await sim.admin.flushNotifications();
    await receiver.waitForPosts(2);
    // The later batch (the rename among it) arrived first.
    const groupsOf = (index: number) =>
      receiver.posts[index]?.body.value.map((item) => (item.resourceData as { id: string }).id);
    expect(groupsOf(0)).toContain(S.prodTeam);
    expect(groupsOf(1)).toEqual([S.evals]);
    expect(await deliverAndWork()).toMatchObject({ posts: 2 });
    await expectTablesMatchEntra(services, sim.admin.getState());
    expect((await run(services)).summary?.tableWrites).toBe(0);
  });

  it('a queue message processed twice, at once and again later: one sync, the same end state', async () => {
    sim.admin.addMember(S.evals, S.gus);
    await sim.admin.flushNotifications();
    for (const post of receiver.posts) {
      await invoke(graphNotifications, {
        method: 'POST',
        path: 'graph/notifications',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(post.body),
      });
    }
    const [message] = await drain(queues.connectionString);
    if (message === undefined) throw new Error('nothing was queued');
    await Promise.all([
      workGroupSyncMessage(message, services, log),
      workGroupSyncMessage(message, services, log),
    ]);
    const settled = await snapshot(services);
    await workGroupSyncMessage(message, services, log);
    expect(await snapshot(services)).toEqual(settled);
    const counts = await services.repository.notifications.readCounts();
    expect(counts.groupsSynced).toBe(1);
    expect(counts.groupsCoalesced).toBe(2);
    await expectTablesMatchEntra(services, sim.admin.getState());
  });
});
