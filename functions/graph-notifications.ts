import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { SyncServiceError } from '../shared/errors.js';
import {
  countReceipt,
  MAX_NOTIFICATION_BODY_BYTES,
  MAX_VALIDATION_TOKEN_LENGTH,
  notificationCollectionSchema,
  receiveNotifications,
} from '../shared/notifications/index.js';
import { readLimitedText } from '../shared/request-body.js';
import { getServices } from '../shared/services.js';
import { errorResponse, parseInput } from './http.js';
import { httpFunction } from './registry.js';

/** Graph's validation handshake: the decoded token back, as plain text, at once. */
function handshake(token: string): HttpResponseInit {
  if (token.length === 0 || token.length > MAX_VALIDATION_TOKEN_LENGTH) {
    throw new SyncServiceError('request_invalid', 'The validation token is empty or too long.');
  }
  return {
    status: 200,
    body: token,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  };
}

export async function graphNotifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const services = getServices();
    if (services.settings.notifications.url === undefined) {
      throw new SyncServiceError(
        'not_found',
        'Change notifications are off (NOTIFICATION_URL is not set).',
      );
    }
    const token = request.query.get('validationToken');
    if (token !== null) return handshake(token);

    const text = await readLimitedText(
      request.body,
      request.headers.get('content-length'),
      MAX_NOTIFICATION_BODY_BYTES,
    );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SyncServiceError('request_invalid', 'The body is not JSON.');
    }
    const { value } = parseInput(notificationCollectionSchema, body, 'notification collection');
    const summary = await receiveNotifications(value, {
      settings: services.settings,
      state: services.repository.notifications,
      groupIndex: services.groupIndex,
      queue: services.groupSyncQueue,
      clock: services.clock,
    });
    await countReceipt(services.repository.notifications, summary, services.clock()).catch(
      (error: unknown) => {
        context.warn(`graph/notifications: counters not updated (${String(error)})`);
      },
    );
    const line =
      `graph/notifications: ${summary.received} item(s): ${summary.groupsEnqueued} assigned group(s) ` +
      `queued in ${summary.messagesEnqueued} message(s), ${summary.unknownGroups} unknown group(s), ` +
      `${summary.unmapped} unmapped, ${summary.lifecycleEvents} lifecycle event(s), ` +
      `${summary.forged} with a wrong clientState, ${summary.malformed} malformed`;
    if (summary.forged > 0) context.warn(line);
    else context.log(line);
    return { status: 202, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    return errorResponse(error, context);
  }
}

export const graphNotificationsFunction = httpFunction({
  name: 'graphNotifications',
  route: 'graph/notifications',
  methods: ['POST'],
  // Graph cannot send a function key: the clientState on every item is the trust.
  authLevel: 'anonymous',
  handler: graphNotifications,
});
