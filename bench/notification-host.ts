/**
 * The benchmark's notification host, a process of its own: what Azure runs for change
 * notifications (the webhook and the group-sync queue worker, on the stand-in host with host.json's
 * queue settings) over the bench's tables and an Azurite queue service of its own, subscribed to
 * the simulated tenant by the upkeep timer. The launcher changes the tenant and times the tables.
 *
 * Messages: the launcher sends `start` (with the service's app settings) and later `stop`; this
 * process answers `ready` and `stopped`, or `failed`.
 */
import { startAzuriteQueue, type RunningAzuriteQueue } from '../dev/azurite-queue.js';
import { startLocalHost, type LocalHost } from '../dev/host.js';
import { functionDefinitions } from '../functions/index.js';
import { loadSettings } from '../shared/config/settings.js';
import { createServices, useServices, type Services } from '../shared/services.js';
import type { NotificationCounts } from '../shared/store/index.js';

export type ToNotificationHost =
  { readonly kind: 'start'; readonly env: Record<string, string> } | { readonly kind: 'stop' };

export type FromNotificationHost =
  | { readonly kind: 'ready'; readonly subscriptionId: string }
  | { readonly kind: 'stopped'; readonly counts: NotificationCounts; readonly errors: string[] }
  | { readonly kind: 'failed'; readonly error: string };

const reply = (message: FromNotificationHost) => process.send?.(message);
const errors: string[] = [];
let host: LocalHost | undefined;
let queueService: RunningAzuriteQueue | undefined;
let services: Services | undefined;

async function start(env: Record<string, string>): Promise<void> {
  queueService = await startAzuriteQueue();
  const queues = queueService.connectionString;
  host = await startLocalHost({
    definitions: functionDefinitions,
    port: 0,
    timers: false,
    settings: { AzureWebJobsStorage: queues },
    log: (level, message) => {
      if (level === 'error') errors.push(message);
    },
  });
  services = createServices(
    loadSettings({
      ...env,
      QUEUES_CONNECTION_STRING: queues,
      NOTIFICATION_URL: `${host.url}/api/graph/notifications`,
    }),
  );
  useServices(services);
  await host.fireTimer('subscriptionUpkeep');
  const kept = await services.repository.notifications.readSubscription();
  if (kept === undefined) throw new Error(`no subscription: ${errors.join(' | ')}`);
  // Built once per process and kept, as in Azure: not part of any one change's latency.
  await services.groupIndex.current(120_000);
  reply({ kind: 'ready', subscriptionId: kept.subscriptionId });
}

async function stop(): Promise<void> {
  if (services !== undefined) {
    const kept = await services.repository.notifications.readSubscription();
    if (kept !== undefined) {
      await services.createNotificationGraph().subscriptions.remove(kept.subscriptionId);
    }
    const counts = await services.repository.notifications.readCounts();
    await host?.stop();
    await queueService?.stop();
    reply({ kind: 'stopped', counts, errors });
  }
  process.disconnect();
}

process.on('message', (message: ToNotificationHost) => {
  const work = message.kind === 'start' ? start(message.env) : stop();
  work.catch((error: unknown) => {
    reply({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  });
});
