/**
 * The Graph calls of change notifications, on the same client, retries and throttling policy as
 * the directory reader: the subscription, and the nesting of assigned groups.
 */
import type { Settings } from '../config/settings.js';
import { createGraphClient } from './client.js';
import { readNestedGroups, type NestedGroups } from './group-nesting.js';
import type { DirectoryReaderOptions } from './index.js';
import { MAX_PAGE_SIZE } from './reader.js';
import { GraphRequestRunner, GraphTransport } from './requests.js';
import { graphSubscriptions, type SubscriptionsApi } from './subscriptions.js';

export interface NotificationGraph {
  readonly subscriptions: SubscriptionsApi;
  nestedGroups(groupIds: readonly string[]): Promise<ReadonlyMap<string, NestedGroups>>;
  /** Graph HTTP requests sent so far. */
  readonly requestCount: number;
}

export function createNotificationGraph(
  settings: Settings,
  options: DirectoryReaderOptions = {},
): NotificationGraph {
  const graph = createGraphClient(settings.entra, options.credential, options.fetch);
  const runner = new GraphRequestRunner(
    new GraphTransport(graph.client, settings.entra.graphEndpoint, options.requestTimeoutMs),
    {
      maxRetryWaitMs: (options.maxRetryWaitSeconds ?? 60) * 1000,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      clock: options.clock ?? (() => new Date()),
    },
  );
  const versionRoot = `${settings.entra.graphEndpoint}/v1.0/`;
  return {
    subscriptions: graphSubscriptions(runner),
    nestedGroups: (groupIds) =>
      readNestedGroups(runner, versionRoot, groupIds, options.pageSize ?? MAX_PAGE_SIZE),
    get requestCount() {
      return graph.requestCount();
    },
  };
}
