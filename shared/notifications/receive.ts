/**
 * What the webhook does with a batch of notifications, without calling Graph: every item's
 * clientState is checked (a mismatch is dropped and counted, never acted on), changed groups
 * are mapped to the assigned groups they are or are nested in (others are dropped), the
 * affected assigned groups go on the `group-sync` queue deduplicated and in small batches, and
 * lifecycle events go there too for the worker to act on.
 */
import type { Settings } from '../config/settings.js';
import { groupMessages, type GroupSyncMessage, type GroupSyncQueue } from '../queue/index.js';
import type { Clock } from '../services.js';
import type { NotificationState } from '../store/index.js';
import { resolveClientState, sameClientState } from './client-state.js';
import type { AssignedGroupIndex } from './group-index.js';
import { readItem } from './payload.js';

/** How long a cold instance waits for its group index before handing the mapping on. */
export const GROUP_INDEX_WAIT_MS = 1_500;

export interface ReceiveDependencies {
  readonly settings: Settings;
  readonly state: NotificationState;
  readonly groupIndex: AssignedGroupIndex;
  readonly queue: GroupSyncQueue;
  readonly clock: Clock;
}

export interface ReceiveSummary {
  readonly received: number;
  /** clientState missing or wrong. */
  readonly forged: number;
  readonly malformed: number;
  /** Groups neither assigned nor nested in an assigned group. */
  readonly unknownGroups: number;
  readonly groupsEnqueued: number;
  readonly messagesEnqueued: number;
  readonly lifecycleEvents: number;
  /** Changed groups handed to the worker unmapped (no group index in time). */
  readonly unmapped: number;
}

export async function receiveNotifications(
  items: readonly unknown[],
  dependencies: ReceiveDependencies,
): Promise<ReceiveSummary> {
  const { state, queue, clock } = dependencies;
  const receivedAt = clock();
  const expected = await resolveClientState(dependencies.settings, state);
  let forged = 0;
  let malformed = 0;
  const changed = new Set<string>();
  const lifecycle = new Map<string, GroupSyncMessage>();
  for (const value of items) {
    const item = readItem(value);
    if (item === undefined) {
      malformed += 1;
      continue;
    }
    if (!sameClientState(item.clientState, expected)) {
      forged += 1;
      continue;
    }
    if (item.kind === 'change') changed.add(item.groupId);
    else {
      lifecycle.set(`${item.event}\u0000${item.subscriptionId}`, {
        kind: 'lifecycle',
        event: item.event,
        subscriptionId: item.subscriptionId,
        receivedAt: receivedAt.toISOString(),
      });
    }
  }

  const index =
    changed.size > 0 ? await dependencies.groupIndex.current(GROUP_INDEX_WAIT_MS) : undefined;
  const assigned = new Set<string>();
  let unknownGroups = 0;
  if (index !== undefined) {
    for (const groupId of changed) {
      const parents = index.assignedGroupsOf(groupId);
      if (parents.length === 0) unknownGroups += 1;
      for (const parent of parents) assigned.add(parent);
    }
  }
  const unmapped = index === undefined ? [...changed].sort() : [];
  const messages = [
    ...groupMessages('groups', [...assigned].sort(), receivedAt),
    ...groupMessages('changed-groups', unmapped, receivedAt),
    ...lifecycle.values(),
  ];
  await queue.send(messages);

  return {
    received: items.length,
    forged,
    malformed,
    unknownGroups,
    groupsEnqueued: assigned.size,
    messagesEnqueued: messages.length,
    lifecycleEvents: lifecycle.size,
    unmapped: unmapped.length,
  };
}

/** Adds a batch's summary to the counters shown on `GET /api/sync/status`. */
export function countReceipt(
  state: NotificationState,
  summary: ReceiveSummary,
  at: Date,
): Promise<void> {
  return state.count(
    {
      requests: 1,
      received: summary.received,
      forged: summary.forged,
      malformed: summary.malformed,
      unknownGroups: summary.unknownGroups,
      groupsEnqueued: summary.groupsEnqueued,
      messagesEnqueued: summary.messagesEnqueued,
      lifecycleEvents: summary.lifecycleEvents,
    },
    // Only an authentic notification says that notifications flow.
    summary.received > summary.forged + summary.malformed
      ? { field: 'lastNotificationAt', time: at }
      : undefined,
  );
}
