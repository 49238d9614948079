import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { createDirectoryReader, type DirectoryReaderOptions } from '../../shared/graph/index.js';
import type { DirectoryReader } from '../../shared/graph/directory.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';

export { S, SAMPLE } from '../support/sample-tenant.js';

export function settingsFor(
  sim: SimulatedTenant,
  overrides: Record<string, string | undefined> = {},
): Settings {
  return loadSettings({ ...sim.env, ASSIGNED_GROUPS_CACHE_SECONDS: '0', ...overrides });
}

/** A sleep that only records what it was asked to wait, so retries cost no time. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

export function readerFor(
  sim: SimulatedTenant,
  options: DirectoryReaderOptions & { env?: Record<string, string | undefined> } = {},
): DirectoryReader {
  const { env, ...rest } = options;
  return createDirectoryReader(settingsFor(sim, env), { sleep: recordingSleep().sleep, ...rest });
}

/** `requestsByRoute` of the tenant for one route key, e.g. `POST /v1.0/$batch`. */
export function routeCount(sim: SimulatedTenant, route: string): number {
  return sim.counters().requestsByRoute[route] ?? 0;
}
