/**
 * Microsoft Graph access: the `DirectoryReader` the sync uses, built from the settings.
 */
import type { TokenCredential } from '@azure/identity';
import type { Settings } from '../config/settings.js';
import { withAssignedGroupsCache } from './cache.js';
import { createGraphClient } from './client.js';
import type { DirectoryReader } from './directory.js';
import { GraphDirectoryReader, MAX_PAGE_SIZE } from './reader.js';
import { GraphRequestRunner, GraphTransport } from './requests.js';

export type {
  AppAssignments,
  AppRoleDefinition,
  AssignedGroup,
  AssignedPrincipal,
  DirectoryReader,
  EntraUser,
  GroupMembers,
  UserWithGroups,
} from './directory.js';
export { DEFAULT_ACCESS_ROLE_ID } from './directory.js';
export { withAssignedGroupsCache } from './cache.js';
export { createGraphCredential } from './client.js';

/** Reconciliation's default; sign-in callers pass a small budget so a sign-in never hangs. */
export const DEFAULT_MAX_RETRY_WAIT_SECONDS = 60;

export interface DirectoryReaderOptions {
  /** Default: the credential `settings.entra.graphAuth` names. */
  readonly credential?: TokenCredential;
  /** Total waiting for throttled or unavailable Graph per reader call, before a coded error. */
  readonly maxRetryWaitSeconds?: number;
  /** How retries wait (tests pass one that does not). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Now, for the assigned-groups cache and `Retry-After` dates. */
  readonly clock?: () => Date;
  /** `$top` of every listing: Graph's maximum (999) unless a test wants more pages. */
  readonly pageSize?: number;
  /** How requests reach Graph (tests pass a stand-in); the global `fetch` by default. */
  readonly fetch?: typeof fetch;
  /** How long one request may take before it is retried as lost (default 60 s). */
  readonly requestTimeoutMs?: number;
}

function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createDirectoryReader(
  settings: Settings,
  options: DirectoryReaderOptions = {},
): DirectoryReader {
  const clock = options.clock ?? (() => new Date());
  const graph = createGraphClient(settings.entra, options.credential, options.fetch);
  const runner = new GraphRequestRunner(
    new GraphTransport(graph.client, settings.entra.graphEndpoint, options.requestTimeoutMs),
    {
      maxRetryWaitMs: (options.maxRetryWaitSeconds ?? DEFAULT_MAX_RETRY_WAIT_SECONDS) * 1000,
      sleep: options.sleep ?? sleepFor,
      clock,
    },
  );
  const reader = new GraphDirectoryReader(
    settings.entra,
    graph,
    runner,
    options.pageSize ?? MAX_PAGE_SIZE,
  );
  return withAssignedGroupsCache(reader, settings.entra.assignedGroupsCacheSeconds, clock);
}

export { createNotificationGraph, type NotificationGraph } from './notification-graph.js';
export type { NestedGroups } from './group-nesting.js';
export {
  GROUPS_CHANGE_TYPE,
  GROUPS_RESOURCE,
  MAX_GROUP_SUBSCRIPTION_MINUTES,
  type GraphSubscription,
  type SubscriptionsApi,
} from './subscriptions.js';
