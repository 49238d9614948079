/** The bodies Graph POSTs: change notification items for groups, and lifecycle notification items. */
import type { SimClock } from '../clock.js';
import type { GroupChange } from '../model.js';
import { graphDateTime, type Subscription } from './subscription.js';

export type ChangeType = 'updated' | 'deleted';

/**
 * Graph reports group creation, renames, membership changes and soft deletion as `updated`;
 * only a group that is gone for good is `deleted`.
 */
export function changeTypeOf(change: GroupChange): ChangeType {
  return change.kind === 'deleted' && change.reason === 'deleted' ? 'deleted' : 'updated';
}

export function changeItem(
  sub: Subscription,
  change: GroupChange,
  tenantId: string,
  clock: SimClock,
): Record<string, unknown> {
  const resource = `Groups/${change.groupId}`;
  const item: Record<string, unknown> = {
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: graphDateTime(sub.expirationMs),
    changeType: changeTypeOf(change),
    resource,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Group',
      '@odata.id': resource,
      id: change.groupId,
      organizationId: tenantId,
      eventTime: clock.iso(),
      sequenceNumber: change.seq,
    },
  };
  if (sub.clientState !== undefined) item.clientState = sub.clientState;
  item.tenantId = tenantId;
  return item;
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved';

export function lifecycleItem(
  sub: Subscription,
  event: LifecycleEvent,
  tenantId: string,
): Record<string, unknown> {
  const item: Record<string, unknown> = {
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: graphDateTime(sub.expirationMs),
    tenantId,
  };
  if (sub.clientState !== undefined) item.clientState = sub.clientState;
  item.lifecycleEvent = event;
  return item;
}
