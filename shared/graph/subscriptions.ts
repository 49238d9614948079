/**
 * Graph's `/subscriptions`: create, renew (PATCH, which also reauthorizes) and delete the one
 * subscription on groups. Calls go through the same runner as every other Graph request, so
 * throttling and outages are retried the same way. docs/graph.md lists the calls.
 */
import { SyncServiceError } from '../errors.js';
import {
  describeRequest,
  graphErrorSummary,
  isRecord,
  type GraphRequest,
  type GraphRequestRunner,
  type GraphResponse,
} from './requests.js';

/** What the service subscribes to: every group, membership changes included. */
export const GROUPS_RESOURCE = 'groups';
export const GROUPS_CHANGE_TYPE = 'updated,deleted';
/** Graph's longest lifetime of a subscription on groups (29 days). */
export const MAX_GROUP_SUBSCRIPTION_MINUTES = 41_760;

export interface GraphSubscription {
  readonly id: string;
  readonly resource: string;
  readonly expirationDateTime: string;
}

export interface NewSubscription {
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string;
  readonly clientState: string;
  readonly expirationDateTime: string;
}

export interface SubscriptionsApi {
  create(subscription: NewSubscription): Promise<GraphSubscription>;
  /** A new expiry (Graph reauthorizes it too); `undefined` when Graph no longer has it (404). */
  renew(subscriptionId: string, expirationDateTime: string): Promise<GraphSubscription | undefined>;
  /** Deletes it; one Graph no longer has is already gone. */
  remove(subscriptionId: string): Promise<void>;
}

function errorFor(request: GraphRequest, response: GraphResponse): SyncServiceError {
  const denied = response.status === 401 || response.status === 403;
  return new SyncServiceError(
    denied ? 'graph_denied' : 'graph_unavailable',
    `Microsoft Graph answered ${graphErrorSummary(response)} to ${describeRequest(request)}${
      denied ? ' (Group.Read.All, and at most 100 subscriptions per app and tenant)' : ''
    }`,
  );
}

function readSubscription(request: GraphRequest, body: unknown): GraphSubscription {
  if (
    !isRecord(body) ||
    typeof body.id !== 'string' ||
    typeof body.expirationDateTime !== 'string'
  ) {
    throw new SyncServiceError(
      'graph_incomplete',
      `The answer to ${describeRequest(request)} is not a subscription`,
    );
  }
  return {
    id: body.id,
    resource: typeof body.resource === 'string' ? body.resource : GROUPS_RESOURCE,
    expirationDateTime: body.expirationDateTime,
  };
}

/** Sends one request through the runner's retries; answers Graph's final response. */
async function answerTo(runner: GraphRequestRunner, request: GraphRequest): Promise<GraphResponse> {
  let answer: GraphResponse | undefined;
  let failure: SyncServiceError | undefined;
  await runner.run(
    [
      {
        request,
        onAnswer: (response) => {
          answer = response;
          return undefined;
        },
        onGiveUp: (error) => {
          failure = error;
        },
      },
    ],
    'single',
  );
  if (failure !== undefined) throw failure;
  if (answer === undefined) {
    throw new SyncServiceError('graph_unavailable', `No answer to ${describeRequest(request)}`);
  }
  return answer;
}

const segment = encodeURIComponent;

export function graphSubscriptions(runner: GraphRequestRunner): SubscriptionsApi {
  return {
    async create(subscription) {
      const request: GraphRequest = {
        method: 'POST',
        url: '/subscriptions',
        body: {
          changeType: GROUPS_CHANGE_TYPE,
          notificationUrl: subscription.notificationUrl,
          lifecycleNotificationUrl: subscription.lifecycleNotificationUrl,
          resource: GROUPS_RESOURCE,
          expirationDateTime: subscription.expirationDateTime,
          clientState: subscription.clientState,
        },
      };
      const response = await answerTo(runner, request);
      if (response.status !== 201 && response.status !== 200) throw errorFor(request, response);
      return readSubscription(request, response.body);
    },

    async renew(subscriptionId, expirationDateTime) {
      const request: GraphRequest = {
        method: 'PATCH',
        url: `/subscriptions/${segment(subscriptionId)}`,
        body: { expirationDateTime },
      };
      const response = await answerTo(runner, request);
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw errorFor(request, response);
      return readSubscription(request, response.body);
    },

    async remove(subscriptionId) {
      const request: GraphRequest = {
        method: 'DELETE',
        url: `/subscriptions/${segment(subscriptionId)}`,
      };
      const response = await answerTo(runner, request);
      if (response.status === 404 || response.status === 204 || response.status === 200) return;
      throw errorFor(request, response);
    },
  };
}
