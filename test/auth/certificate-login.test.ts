/**
 * The sign-in with the certificate credential, end to end: no client secret anywhere, the code
 * redeemed with MSAL's client assertion, checked by the simulated tenant as Entra checks it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { functionDefinitions } from '../../functions/index.js';
import { confidentialClientFor } from '../../shared/auth/index.js';
import type { Settings } from '../../shared/config/settings.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import {
  makeClientCertificate,
  sampleTenantWithCertificates,
  type ClientCertificateFiles,
} from '../support/client-certificate.js';
import { startTenant } from '../support/sample-tenant.js';
import { callback, pickUser, startLogin } from './login-steps.js';
import { BEN, tenantSettings } from './tenant.js';

const TOKEN_ROUTE = 'POST /{tenantId}/oauth2/v2.0/token';
const DISCOVERY_ROUTE = 'GET /{tenantId}/v2.0/.well-known/openid-configuration';
let tenant: SimulatedTenant;
let host: LocalHost;
let certificate: ClientCertificateFiles;
let settings: Settings;
let services: Services;

function certificateSettings(pemPath: string): Settings {
  return tenantSettings(tenant, {
    ENTRA_CLIENT_SECRET: '',
    ENTRA_CLIENT_CERTIFICATE_PATH: pemPath,
    POST_LOGIN_REDIRECT_URL: '/api/health',
  });
}

beforeAll(async () => {
  certificate = await makeClientCertificate();
  tenant = await startTenant(sampleTenantWithCertificates([certificate.certificate]));
  settings = certificateSettings(certificate.pemPath);
  services = createServices(settings);
  useServices(services);
  host = await startLocalHost({ definitions: functionDefinitions, port: 0, timers: false });
});
afterAll(async () => {
  await host.stop();
  await tenant.stop();
  useServices(undefined);
});

async function signIn(userId: string) {
  const start = await startLogin(host.url);
  return callback(await pickUser(tenant, start.authorize, userId), start.cookie);
}

describe('sign-in with ENTRA_CLIENT_CERTIFICATE_PATH and no client secret', () => {
  it('redeems the code with a client assertion, syncs the user and keeps no tokens', async () => {
    expect(settings.entra.clientSecret).toBeUndefined();
    const redemptionsBefore = tenant.counters().requestsByRoute[TOKEN_ROUTE] ?? 0;

    const response = await signIn(BEN);

    expect(response.status, response.text).toBe(302);
    expect(response.location).toBe('/api/health');
    expect((await services.repository.readUser(BEN)).user).toMatchObject({
      userId: BEN,
      displayName: 'Ben Okafor',
    });
    // The code redemption, and Graph's app token (GRAPH_AUTH follows to certificate).
    expect(tenant.counters().requestsByRoute[TOKEN_ROUTE]).toBeGreaterThan(redemptionsBefore);
    expect(await confidentialClientFor(settings).getTokenCache().getAllAccounts()).toEqual([]);
  });

  it('answers login_failed naming invalid_client when the certificate is not registered', async () => {
    const stranger = await makeClientCertificate();
    useServices(createServices(certificateSettings(stranger.pemPath)));
    const discoveriesBefore = tenant.counters().requestsByRoute[DISCOVERY_ROUTE] ?? 0;
    try {
      const response = await signIn(BEN);
      // A fresh MSAL client, given the endpoints, asked for no OpenID configuration (the sign-in
      // stops before Graph, whose @azure/identity credential does fetch it).
      expect(tenant.counters().requestsByRoute[DISCOVERY_ROUTE] ?? 0).toBe(discoveriesBefore);
      expect(response.status).toBe(502);
      expect(response.errorCode).toBe('login_failed');
      expect(response.text).toContain('invalid_client, AADSTS700027');
      // Entra's own description (with the thumbprint it saw) stays in the logs' cause.
      expect(response.text).not.toContain('Thumbprint');
    } finally {
      useServices(services);
    }
  });

  it('signs the next person in after the token endpoint failed once (MSAL does not hold the 503)', async () => {
    tenant.faults.inject({ pathPattern: '/oauth2/v2.0/token', status: 503, times: 1 });
    const failed = await signIn(BEN);
    expect(failed.status).toBe(502);
    expect(failed.errorCode).toBe('login_failed');
    expect(failed.text).toContain('temporarily_unavailable');

    const next = await signIn(BEN);
    expect(next.status, next.text).toBe(302);
  });
});
