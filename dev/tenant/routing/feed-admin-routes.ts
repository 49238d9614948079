/** The change feeds' part of the admin API over HTTP (`/_admin/...`); see `FeedAdmin`. */
import type { FeedFaultSpec } from '../feed-faults.js';
import type { SimResponse } from '../sim-response.js';
import type { TenantAdmin } from '../simulated-tenant.js';
import { HttpError } from './http-io.js';

const ok = (value: unknown, status = 200): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: value ?? { ok: true },
});

/** Undefined when the route is not a feed route. `rest` is the path after `/_admin/`, decoded. */
export async function routeFeedAdmin(
  admin: TenantAdmin,
  method: string,
  rest: string[],
  body: Record<string, unknown>,
): Promise<SimResponse | undefined> {
  const [a, id, c] = rest;
  const route = `${method} ${[a, id === undefined ? undefined : ':id', c].filter((x) => x !== undefined).join('/')}`;
  switch (route) {
    case 'GET clock':
      return ok({ now: admin.now() });
    case 'POST clock/:id': // POST clock/advance {ms}
      if (id !== 'advance') return undefined;
      if (typeof body.ms !== 'number') throw new HttpError(400, 'body.ms must be a number');
      admin.advanceTime(body.ms);
      return ok({ now: admin.now() });
    case 'POST delta/:id': // POST delta/expire-tokens
      if (id !== 'expire-tokens') return undefined;
      admin.expireDeltaTokens();
      return ok(null);
    case 'GET feeds/:id':
      return id === 'config' ? ok(admin.feedSettings()) : undefined;
    case 'PUT feeds/:id':
      if (id !== 'config') return undefined;
      admin.configureFeeds(body);
      return ok(admin.feedSettings());
    case 'GET feed-faults':
      return ok(admin.listFeedFaults());
    case 'POST feed-faults':
      return ok({ id: admin.injectFeedFault(body as unknown as FeedFaultSpec) }, 201);
    case 'DELETE feed-faults':
      admin.clearFeedFaults();
      return ok(null);
    case 'DELETE feed-faults/:id':
      return admin.removeFeedFault(Number(id)) ? ok(null) : ok({ error: 'no such fault' }, 404);
    case 'GET subscriptions':
      return ok(admin.listSubscriptions());
    case 'POST subscriptions/:id/reauthorization-required':
      return ok({ notified: await admin.requireReauthorization(id) });
    case 'POST subscriptions/:id': // POST subscriptions/reauthorization-required: all of them
      if (id !== 'reauthorization-required') return undefined;
      return ok({ notified: await admin.requireReauthorization() });
    case 'DELETE subscriptions/:id':
      await admin.removeSubscription(id ?? '');
      return ok(null);
    case 'POST notifications/:id':
      if (id !== 'flush') return undefined;
      await admin.flushNotifications();
      return ok(null);
    default:
      return undefined;
  }
}
