/**
 * What travels on the `group-sync` queue, as JSON in base64 (the Functions host's default
 * `messageEncoding`): groups to sync, groups that changed but are not mapped to assigned groups
 * yet, lifecycle events to act on, and requests for a catch-up full pass.
 */
import { z } from 'zod';

export const GROUP_SYNC_QUEUE = 'group-sync';
/** The Functions host moves a message here after `maxDequeueCount` failed attempts. */
export const GROUP_SYNC_POISON_QUEUE = `${GROUP_SYNC_QUEUE}-poison`;
/** Small batches: one failing group retries few others, and a message stays far below 64 KiB. */
export const GROUPS_PER_MESSAGE = 20;

const groupId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  .transform((id) => id.toLowerCase());
const groupIds = z.array(groupId).min(1).max(100);
const timestamp = z.iso.datetime();
/** FULL_PASS_SHARE_GROUPS at most: 500 ids are about 26 KiB in base64, far below 64 KiB. */
export const MAX_SHARE_GROUPS = 500;

export const groupSyncMessageSchema = z.discriminatedUnion('kind', [
  /** Assigned groups to sync; `receivedAt`: when the webhook had the notification. */
  z.object({ kind: z.literal('groups'), groupIds, receivedAt: timestamp }),
  /** Changed groups not mapped yet (the webhook had no group map in time): the worker maps them. */
  z.object({ kind: z.literal('changed-groups'), groupIds, receivedAt: timestamp }),
  z.object({
    kind: z.literal('lifecycle'),
    event: z.string().min(1).max(64),
    subscriptionId: z.string().min(1).max(100),
    receivedAt: timestamp,
  }),
  /**
   * One share of a fanned-out full pass (docs/scaling.md): its groups, or the sweep (no groups:
   * the teams no longer assigned and the users assigned directly); `plan` first, then `apply`.
   */
  z.object({
    kind: z.literal('full-pass-share'),
    runId: z.string().regex(/^[0-9TZ:.-]{20,30}-[0-9a-f]{6}$/),
    share: z.number().int().min(0).max(100_000),
    phase: z.enum(['plan', 'apply']),
    groupIds: z.array(groupId).max(MAX_SHARE_GROUPS),
    sweep: z.boolean(),
  }),
  /** A full pass, because notifications may have been lost. */
  z.object({ kind: z.literal('catch-up'), reason: z.string().max(200), requestedAt: timestamp }),
]);

export type GroupSyncMessage = z.output<typeof groupSyncMessageSchema>;

export function encodeMessage(message: GroupSyncMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/** Splits group ids into messages of at most GROUPS_PER_MESSAGE. */
export function groupMessages(
  kind: 'groups' | 'changed-groups',
  ids: readonly string[],
  receivedAt: Date,
): GroupSyncMessage[] {
  const messages: GroupSyncMessage[] = [];
  for (let start = 0; start < ids.length; start += GROUPS_PER_MESSAGE) {
    messages.push({
      kind,
      groupIds: ids.slice(start, start + GROUPS_PER_MESSAGE),
      receivedAt: receivedAt.toISOString(),
    });
  }
  return messages;
}
