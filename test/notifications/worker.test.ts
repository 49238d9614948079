/**
 * The group-sync queue worker end to end: notifications posted to the webhook, the stand-in
 * host running the queue trigger over Azurite's queue service, the worker syncing against the
 * simulated tenant; its coalescing, the host's retries and poison queue, and the large-team guard.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GROUP_SYNC_QUEUE } from '../../shared/queue/index.js';
import { useServices, type Services } from '../../shared/services.js';
import { reconcile } from '../../shared/sync/index.js';
import { entraMembers } from '../reconcile/helpers.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import {
  clear,
  eventually as eventuallyLogged,
  groupChange,
  notificationServices,
  POISON,
  queue,
  queued,
  useNotificationHost,
  useQueueService,
} from '../support/notifications.js';

const sim = useSimulatedTenant(SAMPLE);
const queues = useQueueService();
const logs: string[] = [];
let services: Services;

const host = useNotificationHost({ logs, queues });

beforeEach(async () => {
  sim.admin.reset();
  sim.faults.clear();
  logs.length = 0;
  await Promise.all([clear(queues.connectionString), clear(queues.connectionString, POISON)]);
  services = notificationServices(sim, queues.connectionString, {
    NOTIFICATION_URL: `${host.url}/api/graph/notifications`,
  });
  useServices(services);
});
afterEach(() => {
  useServices(undefined);
});

async function notify(...groupIds: string[]) {
  const response = await fetch(`${host.url}/api/graph/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value: groupIds.map((groupId) => groupChange(groupId)) }),
  });
  expect(response.status).toBe(202);
}

const eventually = (check: () => Promise<boolean>, what: string) =>
  eventuallyLogged(check, what, logs);

const settled = async () =>
  (await queued(queues.connectionString)) === 0 &&
  (await services.repository.notifications.readCounts()).groupsSynced > 0;

describe('the group-sync worker', () => {
  it('syncs a group the moment it changes: member added in Entra, team membership on both sides', async () => {
    await notify(S.evals);
    await eventually(
      async () => (await entraMembers(services, S.evals)).teamSide.size === 4,
      'the team',
    );
    const team = (await services.repository.readTeam(S.evals)).team;
    expect(team).toMatchObject({ createdBy: 'notification', entraGroupId: S.evals });

    sim.admin.addMember(S.evals, S.elif);
    await notify(S.evals);
    await eventually(async () => {
      const { teamSide, userSide } = await entraMembers(services, S.evals);
      return teamSide.has(S.elif) && userSide.has(S.elif);
    }, 'Elif on both sides');
    // A notification sync that changed something leaves a run record for the audit trail; it is
    // written after the rows, so wait for it rather than racing the worker. Elif may have come
    // with the first sync: its check of Entra after writing can already see her.
    const added = async () =>
      (await services.repository.recentRuns(5)).reduce(
        (sum, run) => sum + (run.summary?.membershipsAdded ?? 0),
        0,
      );
    await eventually(async () => (await added()) === 5, 'the run records of five memberships');
    const runs = await services.repository.recentRuns(5);
    for (const run of runs) {
      expect(run).toMatchObject({ trigger: 'notification', outcome: 'succeeded' });
    }
    expect(runs.reduce((sum, run) => sum + (run.summary?.usersCreated ?? 0), 0)).toBe(5);
  });

  it('syncs a nested group change into its assigned parent', async () => {
    sim.admin.addMember(S.contractors, S.elif);
    await notify(S.contractors);
    await eventually(
      async () => (await entraMembers(services, S.evals)).userSide.has(S.elif),
      'Elif in evals through contractors',
    );
  });

  it('coalesces repeated messages for a group into one sync', async () => {
    const receivedAt = new Date();
    await services.groupSyncQueue.send(
      Array.from({ length: 5 }, () => ({
        kind: 'groups' as const,
        groupIds: [S.evals],
        receivedAt: receivedAt.toISOString(),
      })),
    );
    await eventually(async () => {
      const counts = await services.repository.notifications.readCounts();
      return counts.groupsSynced + counts.groupsCoalesced === 5;
    }, 'five messages worked');
    expect(await services.repository.notifications.readCounts()).toMatchObject({
      groupsSynced: 1,
      groupsCoalesced: 4,
    });
  });

  it('retries a message that failed, with the queue dequeue count', async () => {
    // Every attempt the reader makes within one sync fails (its read, and its check after
    // creating the team); the host's second try succeeds.
    sim.faults.inject({
      pathPattern: `/groups/${S.evals}/transitiveMembers/microsoft.graph.user`,
      status: 503,
      inBatch: true,
      times: 16,
    });
    await notify(S.evals);
    await eventually(settled, 'the retried sync');
    expect((await entraMembers(services, S.evals)).teamSide.size).toBe(4);
    expect(logs.join('\n')).toMatch(/failed \(attempt 1\)/);
    expect(logs.join('\n')).toContain('attempt 2 of this message');
    expect(await queued(queues.connectionString, POISON)).toBe(0);
  });

  it('moves a message that keeps failing to group-sync-poison after maxDequeueCount', async () => {
    await queue(queues.connectionString, GROUP_SYNC_QUEUE).sendMessage(
      Buffer.from('{"kind":"not-a-kind"}').toString('base64'),
    );
    await eventually(
      async () => (await queued(queues.connectionString, POISON)) === 1,
      'the poison queue',
    );
    expect(await queued(queues.connectionString)).toBe(0);
    expect(logs.join('\n')).toContain('failed 3 times, moved to group-sync-poison');
  });
});

describe('the large-team guard of a group sync', () => {
  it('holds a notification that would empty a large team, and the full pass applies it', async () => {
    const groupId = '5a1e0000-0000-4000-8000-000000000010';
    const people = Array.from({ length: 12 }, (_, index) => {
      const id = `5a1e0000-0000-4000-8000-0000000001${String(index).padStart(2, '0')}`;
      sim.admin.addUser({
        id,
        displayName: `Person ${index}`,
        userPrincipalName: `person${index}@mishikallm.onmicrosoft.com`,
      });
      return id;
    });
    sim.admin.addGroup({ id: groupId, displayName: 'Large Team', members: people });
    sim.admin.assignGroup(groupId);
    // The index that maps groups was built before the group was assigned: skip the webhook.
    await services.groupSyncQueue.send([
      { kind: 'groups', groupIds: [groupId], receivedAt: new Date().toISOString() },
    ]);
    await eventually(
      async () => (await entraMembers(services, groupId)).teamSide.size === 12,
      'the large team',
    );

    for (const id of people) sim.admin.removeMember(groupId, id);
    await services.groupSyncQueue.send([
      { kind: 'groups', groupIds: [groupId], receivedAt: new Date().toISOString() },
    ]);
    await eventually(async () => {
      const [run] = await services.repository.recentRuns(1);
      return run?.outcome === 'held';
    }, 'the held run');
    const [held] = await services.repository.recentRuns(1);
    expect(held).toMatchObject({ trigger: 'notification', outcome: 'held' });
    expect(held?.holdReason).toContain('held for the full pass');
    expect(held?.summary?.membershipsHeld).toBe(12);
    expect((await entraMembers(services, groupId)).teamSide.size).toBe(12);

    const { record } = await reconcile(services, { trigger: 'cli' });
    expect(record.summary?.membershipsRemoved).toBe(12);
    expect((await entraMembers(services, groupId)).teamSide.size).toBe(0);
  });
});
