import type { InvocationContext, Timer } from '@azure/functions';
import { keepSubscription } from '../shared/notifications/index.js';
import { getServices } from '../shared/services.js';
import { timerFunction } from './registry.js';

export async function keepSubscriptionOnSchedule(
  _timer: Timer,
  context: InvocationContext,
): Promise<void> {
  const services = getServices();
  const outcome = await keepSubscription({
    settings: services.settings,
    state: services.repository.notifications,
    subscriptions: services.createNotificationGraph().subscriptions,
    queue: services.groupSyncQueue,
    clock: services.clock,
  });
  const described =
    outcome.action === 'off'
      ? 'change notifications are off (NOTIFICATION_URL is not set)'
      : `subscription ${outcome.subscriptionId ?? ''} ${outcome.action}${
          outcome.expiresAt === undefined ? '' : `, expires ${outcome.expiresAt}`
        }${outcome.catchUp ? '; catch-up full pass queued' : ''}`;
  context.log(`subscription upkeep: ${described}`);
}

export const subscriptionUpkeepFunction = timerFunction({
  name: 'subscriptionUpkeep',
  // Hourly, off the full pass's half hours.
  schedule: '0 17 * * * *',
  runOnStartup: false,
  handler: keepSubscriptionOnSchedule,
});
