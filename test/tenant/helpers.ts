import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { fileURLToPath } from 'node:url';
import { ensureDevCertificate } from '../../dev/tenant/certificate.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';

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
} as const;

/**
 * The tests need the development CA trusted from process start (NODE_EXTRA_CA_CERTS): the
 * project's global setup sets it; by hand, run
 * `NODE_EXTRA_CA_CERTS=.dev-certs/ca.pem npx vitest run test/tenant`.
 */
export async function requireTrustedCa(sim: SimulatedTenant): Promise<void> {
  try {
    await fetch(`${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
  } catch (err) {
    const { caPath } = await ensureDevCertificate();
    throw new Error(
      `The simulated tenant's certificate is not trusted: start the tests with NODE_EXTRA_CA_CERTS=${caPath} (now: ${process.env.NODE_EXTRA_CA_CERTS ?? 'unset'})`,
      { cause: err },
    );
  }
}

export function credentialFor(sim: SimulatedTenant): ClientSecretCredential {
  return new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
    authorityHost: sim.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/** The real Graph client, set up the way the service sets it up for a non-default endpoint. */
export function graphClientFor(sim: SimulatedTenant): Client {
  const authProvider = new TokenCredentialAuthenticationProvider(credentialFor(sim), {
    scopes: [`${sim.graphEndpoint}/.default`],
  });
  return Client.initWithMiddleware({
    authProvider,
    baseUrl: sim.graphEndpoint,
    defaultVersion: 'v1.0',
    customHosts: new Set([new URL(sim.graphEndpoint).hostname]),
  });
}

/** A Graph app token from the client-credentials flow (plain fetch). */
export async function appToken(sim: SimulatedTenant): Promise<string> {
  const res = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

export async function graphFetch(
  sim: SimulatedTenant,
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(path.startsWith('https://') ? path : `${sim.graphEndpoint}/v1.0${path}`, {
    ...init,
    headers,
  });
}
