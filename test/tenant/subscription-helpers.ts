import type { SimulatedTenant } from '../../dev/tenant/server.js';
import type { NotificationReceiver } from '../support/notification-receiver.js';
import { graphFetch } from './helpers.js';

export const MINUTE = 60_000;

export interface SubscriptionBody {
  id: string;
  resource: string;
  changeType: string;
  clientState: string | null;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  applicationId: string;
}

/** An expiry `minutes` from the tenant's simulated now. */
export function expiryIn(sim: SimulatedTenant, minutes: number): string {
  return new Date(Date.parse(sim.admin.now()) + minutes * MINUTE).toISOString();
}

export function subscribe(
  sim: SimulatedTenant,
  token: string,
  receiver: NotificationReceiver,
  overrides: Record<string, unknown> = {},
): Promise<Response> {
  return graphFetch(sim, token, '/subscriptions', {
    method: 'POST',
    body: JSON.stringify({
      changeType: 'updated,deleted',
      notificationUrl: receiver.url,
      lifecycleNotificationUrl: receiver.lifecycleUrl,
      resource: '/groups',
      expirationDateTime: expiryIn(sim, 60),
      clientState: 'secret-client-state',
      ...overrides,
    }),
  });
}

export async function subscribed(
  sim: SimulatedTenant,
  token: string,
  receiver: NotificationReceiver,
  overrides: Record<string, unknown> = {},
): Promise<SubscriptionBody> {
  const res = await subscribe(sim, token, receiver, overrides);
  if (res.status !== 201)
    throw new Error(`subscription refused: ${res.status} ${await res.text()}`);
  return (await res.json()) as SubscriptionBody;
}

/** Deletes every subscription the tenant has (between tests). */
export async function unsubscribeAll(sim: SimulatedTenant, token: string): Promise<void> {
  for (const s of sim.admin.listSubscriptions()) {
    await graphFetch(sim, token, `/subscriptions/${String(s.id)}`, { method: 'DELETE' });
  }
}
