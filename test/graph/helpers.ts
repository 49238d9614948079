import { fileURLToPath } from 'node:url';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { createDirectoryReader, type DirectoryReaderOptions } from '../../shared/graph/index.js';
import type { DirectoryReader } from '../../shared/graph/directory.js';
import type { TenantData } from '../../dev/tenant/model.js';
import { startSimulatedTenant, type SimulatedTenant } from '../../dev/tenant/server.js';
import { ensureDevCertificate } from '../../dev/tenant/certificate.js';

export const SAMPLE = fileURLToPath(new URL('../../dev/tenants/sample.json', import.meta.url));

/** Ids from dev/tenants/sample.json. */
export const S = {
  evals: '4d8c44e9-3dcb-4865-92df-15789e1fa41a',
  contractors: 'a96407eb-d856-497c-b294-196db3267295',
  prodTeam: '820202fe-6bfb-4a10-8326-7cdf2ce8c48d',
  allStaff: '7243c7b2-c550-460c-a082-70ee73c46617',
  ava: '9322bf07-ba8c-4b26-8cd8-2c8cb33fef8b',
  ben: 'd99a8817-6c0b-4aa8-af23-4537737e5698',
  chen: 'b864671a-937c-4bb0-ae37-de5d25388bf9',
  dana: '802b7a2b-742b-400f-821c-b5853af390c8',
  farah: '539ffb0b-e0c5-41b4-8112-d9e188cacee6',
  gus: 'e162cc6a-b034-437b-b7a8-b83d52450dff',
} as const;

export async function startTenant(tenant: TenantData | string): Promise<SimulatedTenant> {
  const sim = await startSimulatedTenant({ tenant });
  try {
    await fetch(`${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
  } catch (error) {
    await sim.stop();
    const { caPath } = await ensureDevCertificate();
    throw new Error(
      `The simulated tenant's certificate is not trusted: start the tests with NODE_EXTRA_CA_CERTS=${caPath}`,
      { cause: error },
    );
  }
  return sim;
}

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
