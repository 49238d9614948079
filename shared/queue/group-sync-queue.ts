/** Sending to the `group-sync` queue; the queue is created on first use, once per process. */
import { SyncServiceError } from '../errors.js';
import type { QueueClientFactory } from './connection.js';
import { encodeMessage, GROUP_SYNC_QUEUE, type GroupSyncMessage } from './messages.js';

export interface GroupSyncQueue {
  send(messages: readonly GroupSyncMessage[]): Promise<void>;
}

const SENDS_IN_FLIGHT = 8;

function unavailable(error: unknown): SyncServiceError {
  const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return new SyncServiceError(
    'store_unavailable',
    `Queue Storage failed on ${GROUP_SYNC_QUEUE}: ${reason}`,
    { cause: error },
  );
}

export function createGroupSyncQueue(clientFor: QueueClientFactory): GroupSyncQueue {
  const client = clientFor(GROUP_SYNC_QUEUE);
  let ready: Promise<unknown> | undefined;
  return {
    async send(messages) {
      if (messages.length === 0) return;
      try {
        ready ??= client.createIfNotExists().catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        let next = 0;
        const worker = async () => {
          for (let message = messages[next++]; message !== undefined; message = messages[next++]) {
            await client.sendMessage(encodeMessage(message));
          }
        };
        await Promise.all(
          Array.from({ length: Math.min(SENDS_IN_FLIGHT, messages.length) }, worker),
        );
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
