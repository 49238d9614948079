/**
 * The composition root: settings are read once per process and the I/O clients built from
 * them. Handlers ask for services here; the pure core below receives them as parameters.
 * Tests and the local host replace the whole set with `useServices`.
 */
import { loadSettings, type Settings } from './config/settings.js';
import {
  createDirectoryReader,
  createNotificationGraph as notificationGraphFor,
  type DirectoryReader,
  type DirectoryReaderOptions,
  type NotificationGraph,
} from './graph/index.js';
import {
  assignedGroupIndex,
  readGroupIndex,
  type AssignedGroupIndex,
} from './notifications/group-index.js';
import { createGroupSyncQueue, queueClientFactory, type GroupSyncQueue } from './queue/index.js';
import { createRepository, tableClientFactory, Tables, type Repository } from './store/index.js';

export type Clock = () => Date;

/** A sign-in waits at most this long for a throttled Graph before answering 503. */
export const SIGN_IN_MAX_GRAPH_WAIT_SECONDS = 10;

export interface Services {
  readonly settings: Settings;
  /** Every read and write of Table Storage. */
  readonly repository: Repository;
  readonly clock: Clock;
  /** The process's Graph reader for sign-ins (its assigned-groups cache is shared). */
  readonly directory: DirectoryReader;
  /** A fresh reader, e.g. one per reconciliation run so its request count is the run's. */
  readonly createDirectory: (options?: DirectoryReaderOptions) => DirectoryReader;
  /** The `group-sync` Storage Queue. */
  readonly groupSyncQueue: GroupSyncQueue;
  /** Graph for change notifications: the subscription, and the nesting of assigned groups. */
  readonly createNotificationGraph: (options?: DirectoryReaderOptions) => NotificationGraph;
  /** The process's map of changed group → assigned groups, for the webhook (cached). */
  readonly groupIndex: AssignedGroupIndex;
}

export function createServices(settings: Settings, overrides: Partial<Services> = {}): Services {
  const repository =
    overrides.repository ??
    createRepository(
      new Tables(
        tableClientFactory(settings.tables, settings.entra.managedIdentityClientId),
        settings.tables.prefix,
      ),
    );
  const clock = overrides.clock ?? (() => new Date());
  const createDirectory =
    overrides.createDirectory ??
    ((options?: DirectoryReaderOptions) => createDirectoryReader(settings, { clock, ...options }));
  let directory = overrides.directory;
  const groupSyncQueue =
    overrides.groupSyncQueue ??
    createGroupSyncQueue(
      queueClientFactory(settings.queues, settings.entra.managedIdentityClientId),
    );
  const createNotificationGraph =
    overrides.createNotificationGraph ??
    ((options?: DirectoryReaderOptions) => notificationGraphFor(settings, { clock, ...options }));
  let groupIndex = overrides.groupIndex;
  const services: Services = {
    settings,
    repository,
    clock,
    createDirectory,
    // Built on first use: a health probe or a bad token never constructs Graph credentials.
    get directory() {
      directory ??= createDirectory({ maxRetryWaitSeconds: SIGN_IN_MAX_GRAPH_WAIT_SECONDS });
      return directory;
    },
    groupSyncQueue,
    createNotificationGraph,
    get groupIndex() {
      groupIndex ??= assignedGroupIndex(
        () =>
          readGroupIndex(
            createDirectory(),
            createNotificationGraph(),
            settings.sync.groupMembership,
            clock,
          ),
        clock,
      );
      return groupIndex;
    },
  };
  return services;
}

let current: Services | undefined;

/** The process's services, built from the environment on first use. Throws `config_invalid`. */
export function getServices(): Services {
  current ??= createServices(loadSettings());
  return current;
}

export function useServices(services: Services | undefined): void {
  current = services;
}
