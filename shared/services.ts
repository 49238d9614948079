/**
 * The composition root: settings are read once per process and the I/O clients built from
 * them. Handlers ask for services here; the pure core below receives them as parameters.
 * Tests and the local host replace the whole set with `useServices`.
 */
import { loadSettings, type Settings } from './config/settings.js';
import {
  createDirectoryReader,
  type DirectoryReader,
  type DirectoryReaderOptions,
} from './graph/index.js';
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
  return {
    settings,
    repository,
    clock,
    createDirectory,
    // Built on first use: a health probe or a bad token never constructs Graph credentials.
    get directory() {
      directory ??= createDirectory({ maxRetryWaitSeconds: SIGN_IN_MAX_GRAPH_WAIT_SECONDS });
      return directory;
    },
  };
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
