/** Lifecycle notifications, sent to a subscription's `lifecycleNotificationUrl` (none without one). */
import { deliver, pause, type NotificationDeps } from './delivery.js';
import { lifecycleItem, type LifecycleEvent } from './payloads.js';
import type { Subscription } from './subscription.js';

/** True when delivered; false when not sent (no URL, dropped) or given up. */
export async function sendLifecycleNotification(
  deps: NotificationDeps,
  sub: Subscription,
  event: LifecycleEvent,
): Promise<boolean> {
  const url = sub.lifecycleNotificationUrl;
  if (url === undefined) return false;
  const body = JSON.stringify({ value: [lifecycleItem(sub, event, deps.tenantId)] });
  const fault = deps.faults.takeForPost(sub.id, true);
  if (fault?.kind === 'drop') {
    deps.counters().dropped += 1;
    return false;
  }
  if (fault?.kind === 'delay') {
    deps.counters().delayed += 1;
    await pause(fault.delayMs ?? 0, deps.stop);
  }
  deps.counters().lifecycle += 1;
  const delivered = await deliver(deps, url, body, () => true);
  if (fault?.kind === 'duplicate') {
    deps.counters().duplicated += 1;
    await deliver(deps, url, body, () => true);
  }
  return delivered;
}
