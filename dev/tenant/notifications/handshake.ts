/**
 * The validation handshake Graph makes before it creates a subscription: a POST to the endpoint
 * with `?validationToken=...` that must answer 200, `text/plain`, the decoded token, within 10 s.
 */
import { randomUUID } from 'node:crypto';
import type { NotificationDeps } from './delivery.js';
import { postToEndpoint } from './endpoint-post.js';

/** Graph's own wording for a failed handshake. */
const FAILED =
  'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.';

/** Undefined when the endpoint passed; else the message Graph refuses the subscription with. */
export async function validateEndpoint(
  deps: NotificationDeps,
  url: string,
): Promise<string | undefined> {
  // Graph's tokens read like this one: spaces and colons, so the endpoint has to decode the query.
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const separator = url.includes('?') ? '&' : '?';
  const answer = await postToEndpoint(
    `${url}${separator}validationToken=${encodeURIComponent(token)}`,
    {
      body: '',
      contentType: 'text/plain; charset=utf-8',
      timeoutMs: deps.settings.validationTimeoutMs,
      stop: deps.stop,
    },
  );
  if (!answer.ok) {
    return answer.failure === 'timeout'
      ? `Subscription validation request timed out. ${FAILED}`
      : `${FAILED} (${answer.detail})`;
  }
  if (answer.status !== 200) return `${FAILED} HTTP status code is '${answer.status}'.`;
  if (!answer.contentType.toLowerCase().startsWith('text/plain'))
    return `${FAILED} Content-Type must be text/plain, got '${answer.contentType}'.`;
  if (answer.text !== token)
    return 'Subscription validation request failed. Response must exactly match validationToken query parameter.';
  return undefined;
}
