import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';

export { S, SAMPLE } from '../support/sample-tenant.js';

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
