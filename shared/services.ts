/**
 * The composition root: settings are read once per process and the I/O clients built from
 * them. Handlers ask for services here; the pure core below receives them as parameters.
 * Tests and the local host replace the whole set with `useServices`.
 */
import { loadSettings, type Settings } from './config/settings.js';
import { SyncStore, TableStore, tableClientFactory } from './store/index.js';

export type Clock = () => Date;

export interface Services {
  readonly settings: Settings;
  readonly tables: TableStore;
  readonly store: SyncStore;
  readonly clock: Clock;
}

export function createServices(settings: Settings, overrides: Partial<Services> = {}): Services {
  const tables =
    overrides.tables ??
    new TableStore(
      tableClientFactory(settings.tables, settings.entra.managedIdentityClientId),
      settings.tables.prefix,
    );
  return {
    settings,
    tables,
    store: overrides.store ?? new SyncStore(tables),
    clock: overrides.clock ?? (() => new Date()),
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
