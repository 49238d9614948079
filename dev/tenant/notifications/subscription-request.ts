/** Checks a `POST /subscriptions` or `PATCH /subscriptions/{id}` body the way Graph does for groups. */
import { BadQuery } from '../graph/responses.js';
import { isLoopbackUrl } from './endpoint-post.js';

/** Graph's longest expiry for group subscriptions. */
export const MAX_GROUP_SUBSCRIPTION_MINUTES = 41_760;
export const MAX_CLIENT_STATE_LENGTH = 128;
const CHANGE_TYPES = new Set(['created', 'updated', 'deleted']);
const GROUPS_RESOURCE =
  /^\/?groups(?:\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?$/i;

export interface SubscriptionRequest {
  resource: string;
  groupId: string | undefined;
  changeTypes: Set<string>;
  notificationUrl: string;
  lifecycleNotificationUrl: string | undefined;
  clientState: string | undefined;
  expirationMs: number;
}

function invalid(message: string): BadQuery {
  return new BadQuery('InvalidRequest', message);
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v.length === 0) throw invalid(`'${key}' is a required property.`);
  return v;
}

/** https anywhere (Graph's rule), plain http only on loopback (a development allowance). */
function endpointUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`The ${key} '${value}' is not a valid absolute URL.`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) return value;
  throw invalid(`Subscription ${key} must use https: '${value}'.`);
}

export function parseExpiration(value: unknown, now: number): number {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
    throw invalid("'expirationDateTime' is a required property and must be a date and time.");
  const ms = Date.parse(value);
  if (ms <= now) throw invalid('Subscription expiration must be in the future.');
  if (ms > now + MAX_GROUP_SUBSCRIPTION_MINUTES * 60_000)
    throw invalid(
      `Subscription expiration can only be ${MAX_GROUP_SUBSCRIPTION_MINUTES} minutes in the future.`,
    );
  return ms;
}

export function parseSubscriptionRequest(body: unknown, now: number): SubscriptionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The request body must be a subscription object.');
  const b = body as Record<string, unknown>;
  const changeTypes = new Set(
    requiredString(b, 'changeType')
      .split(',')
      .map((c) => c.trim()),
  );
  for (const c of changeTypes) {
    if (!CHANGE_TYPES.has(c))
      throw invalid(`'${c}' is not a valid change type (created, updated, deleted).`);
  }
  const resource = requiredString(b, 'resource');
  const match = GROUPS_RESOURCE.exec(resource);
  if (!match)
    throw invalid(
      `Resource '${resource}' is not supported by the simulated tenant (only groups and groups/{id}).`,
    );
  if (b.includeResourceData === true)
    throw invalid('Rich notifications (includeResourceData) are not supported for groups.');
  const clientState = b.clientState;
  if (clientState !== undefined && clientState !== null) {
    if (typeof clientState !== 'string') throw invalid("'clientState' must be a string.");
    if (clientState.length > MAX_CLIENT_STATE_LENGTH)
      throw invalid(
        `'clientState' must be at most ${MAX_CLIENT_STATE_LENGTH} characters long (got ${clientState.length}).`,
      );
  }
  const lifecycle = b.lifecycleNotificationUrl;
  return {
    resource,
    groupId: match[1]?.toLowerCase(),
    changeTypes,
    notificationUrl: endpointUrl('notificationUrl', requiredString(b, 'notificationUrl')),
    lifecycleNotificationUrl:
      typeof lifecycle === 'string' && lifecycle.length > 0
        ? endpointUrl('lifecycleNotificationUrl', lifecycle)
        : undefined,
    clientState: typeof clientState === 'string' ? clientState : undefined,
    expirationMs: parseExpiration(b.expirationDateTime, now),
  };
}
