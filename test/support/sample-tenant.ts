/**
 * The simulated tenant as the test suites use it: dev/tenants/sample.json, its ids, and a start
 * that fails with instructions when the development certificate is not trusted (NODE_EXTRA_CA_CERTS
 * must be set when the test process starts, which test/global-setup.ts does).
 */
import { fileURLToPath } from 'node:url';
import { ensureDevCertificate } from '../../dev/tenant/certificate.js';
import type { TenantData } from '../../dev/tenant/model.js';
import {
  startSimulatedTenant,
  type SimulatedTenant,
  type SimulatedTenantOptions,
} from '../../dev/tenant/server.js';

export const SAMPLE = fileURLToPath(new URL('../../dev/tenants/sample.json', import.meta.url));

/** Ids from dev/tenants/sample.json. */
export const S = {
  tenantId: 'ed9edb31-570a-4bd3-8e62-38ce0164e9a8',
  evals: '4d8c44e9-3dcb-4865-92df-15789e1fa41a',
  contractors: 'a96407eb-d856-497c-b294-196db3267295',
  prodTeam: '820202fe-6bfb-4a10-8326-7cdf2ce8c48d',
  marketing: '97f12dd0-5e84-48e5-b90d-7095e9795f27',
  allStaff: '7243c7b2-c550-460c-a082-70ee73c46617',
  ava: '9322bf07-ba8c-4b26-8cd8-2c8cb33fef8b',
  ben: 'd99a8817-6c0b-4aa8-af23-4537737e5698',
  chen: 'b864671a-937c-4bb0-ae37-de5d25388bf9',
  dana: '802b7a2b-742b-400f-821c-b5853af390c8',
  elif: '1801b510-039b-4f9e-9fd8-3d7246401aa4',
  farah: '539ffb0b-e0c5-41b4-8112-d9e188cacee6',
  gus: 'e162cc6a-b034-437b-b7a8-b83d52450dff',
  /** App role ids: evals holds internal_user, Ava proxy_admin and Gus LLM.Viewer directly. */
  roles: {
    proxyAdmin: '9edaf0b7-4233-474c-bdc7-2e8757d9d3a3',
    internalUser: '5f7c3b1e-8a42-4d0f-9b6e-2c1d4e7a9f30',
    llmViewer: 'c2e8a6d4-1f3b-4e5a-8c7d-0b9a1e2f3d4c',
  },
} as const;

export async function requireTrustedCa(sim: SimulatedTenant): Promise<void> {
  try {
    await fetch(`${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
  } catch (error) {
    const { caPath } = await ensureDevCertificate();
    throw new Error(
      `The simulated tenant's certificate is not trusted: start the tests with NODE_EXTRA_CA_CERTS=${caPath} (now: ${process.env.NODE_EXTRA_CA_CERTS ?? 'unset'})`,
      { cause: error },
    );
  }
}

export async function startTenant(
  tenant: TenantData | string = SAMPLE,
  options: Omit<SimulatedTenantOptions, 'tenant' | 'port'> = {},
): Promise<SimulatedTenant> {
  const sim = await startSimulatedTenant({ ...options, tenant, port: 0 });
  try {
    await requireTrustedCa(sim);
  } catch (error) {
    await sim.stop();
    throw error;
  }
  return sim;
}
