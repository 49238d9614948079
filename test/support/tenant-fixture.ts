/**
 * One running simulated tenant for a test file or a describe block: started on a free port (and
 * checked to be trusted) before its tests, stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import type { TenantData } from '../../dev/tenant/model.js';
import type { SimulatedTenant, SimulatedTenantOptions } from '../../dev/tenant/server.js';
import { SAMPLE, startTenant } from './sample-tenant.js';

export type TenantFixtureOptions = Omit<SimulatedTenantOptions, 'tenant' | 'port'>;

/**
 * Registers the start and stop hooks in the calling scope and returns the tenant. The returned
 * object stands in for the running tenant, so suites use it like one (`sim.admin.reset()`); it
 * throws when read outside the tests, where no tenant is running.
 */
export function useSimulatedTenant(
  tenant: TenantData | string = SAMPLE,
  options: TenantFixtureOptions = {},
): SimulatedTenant {
  let running: SimulatedTenant | undefined;
  beforeAll(async () => {
    running = await startTenant(tenant, options);
  });
  afterAll(async () => {
    await running?.stop();
    running = undefined;
  });
  return new Proxy({} as SimulatedTenant, {
    get(_target, property) {
      if (running === undefined) {
        throw new Error(
          `The simulated tenant is not running (read ${String(property)} outside its tests)`,
        );
      }
      return Reflect.get(running, property, running) as unknown;
    },
  });
}
