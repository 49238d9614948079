/** Shared set-up for the auth tests: the simulated tenant and settings that point at it. */
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import type { Settings } from '../../shared/config/settings.js';
import { testSettings } from '../support/services.js';

export const SAMPLE_TENANT = 'dev/tenants/sample.json';
export const SESSION_SECRET = 'test-session-secret-0123456789-abcdefghijklmnop';

/** Users of dev/tenants/sample.json. */
export const AVA = '9322bf07-ba8c-4b26-8cd8-2c8cb33fef8b';
export const BEN = 'd99a8817-6c0b-4aa8-af23-4537737e5698';
export const EVALS_GROUP = '4d8c44e9-3dcb-4865-92df-15789e1fa41a';

/** The sample tenant, running for the tests of the calling scope. */
export function useSampleTenant(): SimulatedTenant {
  return useSimulatedTenant(SAMPLE_TENANT);
}

/** Fresh settings (and so a fresh key cache) for the tenant, with test overrides. */
export function tenantSettings(
  tenant: SimulatedTenant,
  overrides: Record<string, string> = {},
): Settings {
  return testSettings({
    ENTRA_AUTHORITY_HOST: tenant.authorityHost,
    GRAPH_ENDPOINT: tenant.graphEndpoint,
    ENTRA_TENANT_ID: tenant.tenantId,
    ENTRA_CLIENT_ID: tenant.clientId,
    ENTRA_CLIENT_SECRET: tenant.clientSecret,
    ENTRA_SERVICE_PRINCIPAL_ID: tenant.servicePrincipalId,
    SESSION_SECRET,
    ...overrides,
  });
}

export const JWKS_ROUTE = 'GET /{tenantId}/discovery/v2.0/keys';

export function jwksFetches(tenant: SimulatedTenant): number {
  return tenant.counters().requestsByRoute[JWKS_ROUTE] ?? 0;
}
