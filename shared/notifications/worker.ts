/**
 * The `group-sync` queue's worker: syncs the groups a message names (groups scope, trigger
 * `notification`), skipping those a sync has covered since the notification arrived, so a burst
 * of notifications for one group syncs it once or twice, not once per message. A failure throws:
 * the Functions host retries the message (its dequeue count) and moves it to
 * `group-sync-poison` after `maxDequeueCount` attempts (host.json). It also works the shares of a
 * fanned-out full pass (shared/sync/fan-out-share.ts).
 */
import { isServiceError, SyncServiceError } from '../errors.js';
import { groupSyncMessageSchema, type GroupSyncMessage } from '../queue/index.js';
import type { Services } from '../services.js';
import { reconcile, runLine, syncGroups, workShare } from '../sync/index.js';
import { keepSubscription } from './upkeep.js';

/** Where the worker says what it did (the invocation's log). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export type WorkerDependencies = Pick<
  Services,
  | 'settings'
  | 'repository'
  | 'clock'
  | 'createDirectory'
  | 'groupSyncQueue'
  | 'createNotificationGraph'
  | 'groupIndex'
>;

/** The host hands a JSON message over parsed; anything else arrives as text. */
export function readMessage(entry: unknown): GroupSyncMessage {
  let value = entry;
  if (typeof entry === 'string') {
    try {
      value = JSON.parse(entry);
    } catch {
      value = undefined;
    }
  }
  const parsed = groupSyncMessageSchema.safeParse(value);
  if (!parsed.success) {
    throw new SyncServiceError(
      'request_invalid',
      'The group-sync message is not one this worker reads',
    );
  }
  return parsed.data;
}

/**
 * Syncs of this process in flight, by group: messages the host hands over together wait for
 * each other's sync of a group and then find it covered, instead of reading Graph in parallel.
 */
const inFlight = new Map<string, Promise<unknown>>();

async function syncNotifiedGroups(
  dependencies: WorkerDependencies,
  groupIds: readonly string[],
  receivedAt: string,
  log: Logger,
): Promise<void> {
  const state = dependencies.repository.notifications;
  let due: string[];
  for (;;) {
    await Promise.all(
      groupIds.map((groupId) => inFlight.get(groupId)?.catch(() => undefined) ?? Promise.resolve()),
    );
    const starts = await state.groupSyncStarts(groupIds);
    // A sync that started after the notification arrived read Entra after the change.
    due = groupIds.filter((groupId) => !((starts.get(groupId) ?? '') > receivedAt));
    // Another message started one of these while the markers were read: wait for it too.
    if (!due.some((groupId) => inFlight.has(groupId))) break;
  }
  const coalesced = groupIds.length - due.length;
  if (due.length === 0) {
    await state.count({ groupsCoalesced: coalesced });
    log.info(`group-sync: ${coalesced} group(s) already synced since the notification`);
    return;
  }
  const startedAt = dependencies.clock();
  // In flight until the markers are written, so that a waiter then finds the groups covered.
  const syncing = (async () => {
    const outcome = await syncGroups(dependencies, new Set(due), 'notification');
    const incomplete = new Set(outcome.result.incompleteGroups.map((group) => group.groupId));
    // Failed writes or an unsettled sync (still meeting stale ETags, or an Entra that kept
    // moving): nothing is marked, and the message is retried.
    const synced =
      outcome.result.summary.failedWrites > 0 || !outcome.result.settled
        ? []
        : due.filter((id) => !incomplete.has(id));
    await state.markGroupSyncStarted(synced, startedAt);
    return { ...outcome, synced };
  })();
  for (const groupId of due) inFlight.set(groupId, syncing);
  const { record, synced } = await syncing.finally(() => {
    for (const groupId of due) if (inFlight.get(groupId) === syncing) inFlight.delete(groupId);
  });
  await state.count(
    { groupsSynced: synced.length, groupsCoalesced: coalesced },
    { field: 'lastGroupSyncAt', time: startedAt },
  );
  if (record !== undefined) {
    if (record.outcome === 'succeeded') log.info(runLine(record));
    else log.warn(runLine(record));
  } else {
    log.info(`group-sync: ${due.length} group(s) synced, nothing to change`);
  }
  if (synced.length < due.length) {
    throw new SyncServiceError(
      'graph_incomplete',
      `group-sync: ${due.length - synced.length} group(s) not synced completely; the message is retried`,
    );
  }
}

async function catchUp(dependencies: WorkerDependencies, reason: string, log: Logger) {
  try {
    const { record } = await reconcile(dependencies, { trigger: 'notification' });
    log.info(`group-sync: catch-up full pass (${reason}): ${runLine(record)}`);
  } catch (error) {
    // Another full pass holds the lease: it reads everything, which is the catch-up.
    if (isServiceError(error, 'sync_refused')) {
      log.warn(`group-sync: catch-up full pass (${reason}) not run: ${error.message}`);
      return;
    }
    throw error;
  }
}

async function onLifecycle(
  dependencies: WorkerDependencies,
  message: Extract<GroupSyncMessage, { kind: 'lifecycle' }>,
  log: Logger,
) {
  const state = dependencies.repository.notifications;
  const kept = await state.readSubscription();
  const upkeep = () => ({
    settings: dependencies.settings,
    state,
    subscriptions: dependencies.createNotificationGraph().subscriptions,
    queue: dependencies.groupSyncQueue,
    clock: dependencies.clock,
  });
  if (message.event === 'missed') {
    await catchUp(dependencies, 'Graph reported missed notifications', log);
    return;
  }
  if (kept?.subscriptionId !== message.subscriptionId) {
    log.warn(
      `group-sync: lifecycle event ${message.event} for a subscription this service no longer keeps; ignored`,
    );
    return;
  }
  if (message.event === 'reauthorizationRequired' || message.event === 'subscriptionRemoved') {
    const outcome = await keepSubscription(upkeep(), message.event);
    log.info(
      `group-sync: ${message.event}: subscription ${outcome.action}${outcome.catchUp ? ', catch-up queued' : ''}`,
    );
    return;
  }
  log.warn(`group-sync: lifecycle event ${message.event} is not one this service acts on`);
}

export async function workGroupSyncMessage(
  entry: unknown,
  dependencies: WorkerDependencies,
  log: Logger,
): Promise<void> {
  const message = readMessage(entry);
  switch (message.kind) {
    case 'groups':
      await syncNotifiedGroups(dependencies, message.groupIds, message.receivedAt, log);
      return;
    case 'changed-groups': {
      const index = await dependencies.groupIndex.current(60_000);
      if (index === undefined) {
        throw new SyncServiceError(
          'graph_unavailable',
          'group-sync: the group index could not be read',
        );
      }
      const assigned = [...new Set(message.groupIds.flatMap((id) => index.assignedGroupsOf(id)))];
      if (assigned.length > 0) {
        await syncNotifiedGroups(dependencies, assigned.sort(), message.receivedAt, log);
      }
      return;
    }
    case 'lifecycle':
      await onLifecycle(dependencies, message, log);
      return;
    case 'catch-up':
      await catchUp(dependencies, message.reason, log);
      return;
    case 'full-pass-share':
      log.info(`group-sync: ${await workShare(dependencies, message)}`);
      return;
  }
}
