/** `/subscriptions`: create (with the validation handshake), list, read, renew, delete, reauthorize. */
import type { SimResponse } from '../sim-response.js';
import { renderSubscription, type Subscription } from '../notifications/subscription.js';
import { json } from './responses.js';
import { ID, type GraphContext, type GraphRequest, type Route } from './route.js';

function entity(ctx: GraphContext, sub: Subscription, status = 200): SimResponse {
  return json(status, {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#subscriptions/$entity`,
    ...renderSubscription(sub),
  });
}

const noContent = (): SimResponse => ({ status: 204, headers: {}, body: undefined });

async function create(ctx: GraphContext, req: GraphRequest): Promise<SimResponse> {
  return entity(ctx, await ctx.feeds.subscriptions.create(req.body, req.callerOid), 201);
}

function list(ctx: GraphContext): SimResponse {
  return json(200, {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#subscriptions`,
    value: ctx.feeds.subscriptions.list().map(renderSubscription),
  });
}

const id = (m: RegExpExecArray): string => decodeURIComponent(m[1] ?? '');

export const subscriptionRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/subscriptions$/,
    template: '/subscriptions',
    cost: 1,
    handler: create,
  },
  {
    method: 'GET',
    pattern: /^\/subscriptions$/,
    template: '/subscriptions',
    cost: 1,
    handler: list,
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/subscriptions/${ID}/reauthorize$`),
    template: '/subscriptions/{id}/reauthorize',
    cost: 1,
    handler: (ctx, _req, m) => {
      ctx.feeds.subscriptions.reauthorize(id(m));
      return noContent();
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/subscriptions/${ID}$`),
    template: '/subscriptions/{id}',
    cost: 1,
    handler: (ctx, _req, m) => entity(ctx, ctx.feeds.subscriptions.get(id(m))),
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`^/subscriptions/${ID}$`),
    template: '/subscriptions/{id}',
    cost: 1,
    handler: (ctx, req, m) => entity(ctx, ctx.feeds.subscriptions.renew(id(m), req.body)),
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^/subscriptions/${ID}$`),
    template: '/subscriptions/{id}',
    cost: 1,
    handler: (ctx, _req, m) => {
      ctx.feeds.subscriptions.delete(id(m));
      return noContent();
    },
  },
];
