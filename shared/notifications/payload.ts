/**
 * Graph's notification payloads, read leniently: `{ value: [...] }` whose items are change
 * notifications (`resourceData.id` names the group) or lifecycle notifications
 * (`lifecycleEvent`). An item that is neither is malformed and dropped on its own.
 */
import { z } from 'zod';

/** A thousand notifications take well under 1 MiB; a larger body is refused unread. */
export const MAX_NOTIFICATION_BODY_BYTES = 2 * 1024 * 1024;
/** Graph's token is short; anything longer is not one. */
export const MAX_VALIDATION_TOKEN_LENGTH = 1_024;

/** A Graph batch is far smaller; this bounds the work a single request can ask for. */
export const MAX_ITEMS_PER_REQUEST = 5_000;

export const notificationCollectionSchema = z.object({
  value: z.array(z.unknown()).max(MAX_ITEMS_PER_REQUEST),
});

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const itemSchema = z.object({
  subscriptionId: z.string().max(100),
  clientState: z.string().max(1_000).optional(),
  changeType: z.string().max(100).optional(),
  resource: z.string().max(1_000).optional(),
  resourceData: z.object({ id: z.string().max(100).optional() }).optional(),
  lifecycleEvent: z.string().max(100).optional(),
});

export type NotificationItem =
  | {
      readonly kind: 'change';
      readonly clientState: string | undefined;
      readonly groupId: string;
    }
  | {
      readonly kind: 'lifecycle';
      readonly clientState: string | undefined;
      readonly event: string;
      readonly subscriptionId: string;
    };

/** The group a change is about: `resourceData.id`, else the id in `resource` (`Groups/{id}`). */
function groupIdOf(item: z.output<typeof itemSchema>): string | undefined {
  const id = item.resourceData?.id ?? /^\/?groups\/([^/]+)$/i.exec(item.resource ?? '')?.[1];
  return id !== undefined && GUID.test(id) ? id.toLowerCase() : undefined;
}

export function readItem(value: unknown): NotificationItem | undefined {
  const parsed = itemSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const item = parsed.data;
  if (item.lifecycleEvent !== undefined) {
    return {
      kind: 'lifecycle',
      clientState: item.clientState,
      event: item.lifecycleEvent,
      subscriptionId: item.subscriptionId,
    };
  }
  const groupId = groupIdOf(item);
  return groupId === undefined
    ? undefined
    : { kind: 'change', clientState: item.clientState, groupId };
}
