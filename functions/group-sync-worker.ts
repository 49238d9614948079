import type { InvocationContext } from '@azure/functions';
import { GROUP_SYNC_QUEUE } from '../shared/queue/index.js';
import { workGroupSyncMessage } from '../shared/notifications/index.js';
import { getServices } from '../shared/services.js';
import { queueFunction } from './registry.js';

export async function workGroupSync(entry: unknown, context: InvocationContext): Promise<void> {
  const dequeueCount = context.triggerMetadata?.dequeueCount;
  if (typeof dequeueCount === 'number' && dequeueCount > 1) {
    context.warn(`group-sync: attempt ${dequeueCount} of this message`);
  }
  await workGroupSyncMessage(entry, getServices(), {
    info: (message) => {
      context.log(message);
    },
    warn: (message) => {
      context.warn(message);
    },
  });
}

export const groupSyncWorkerFunction = queueFunction({
  name: 'groupSync',
  queueName: GROUP_SYNC_QUEUE,
  // The host's own storage account (identity-based in Azure), where infra/ creates the queue.
  connection: 'AzureWebJobsStorage',
  handler: workGroupSync,
});
