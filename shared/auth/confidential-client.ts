/**
 * One MSAL ConfidentialClientApplication per settings object (the app's credential is read once,
 * not per sign-in). MSAL is told everything about the authority up front: the authority host is
 * a known authority and its endpoints are given as metadata, so MSAL asks no login host for
 * instance discovery or OpenID configuration. That is what lets national clouds
 * (ENTRA_AUTHORITY_HOST, e.g. https://login.microsoftonline.us) and the simulated tenant on
 * loopback work without a request to login.microsoftonline.com.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { Settings } from '../config/settings.js';
import { clientCredentialFor } from './client-credential.js';

const clients = new WeakMap<Settings, ConfidentialClientApplication>();

export function tenantAuthority(settings: Settings): string {
  return `${settings.entra.authorityHost}/${settings.entra.tenantId}`;
}

export function tokenEndpoint(settings: Settings): string {
  return `${tenantAuthority(settings)}/oauth2/v2.0/token`;
}

/** The tenant's v2 OpenID configuration, as `{authority}/v2.0/.well-known/openid-configuration` would answer. */
function authorityMetadata(settings: Settings): string {
  const authority = tenantAuthority(settings);
  return JSON.stringify({
    issuer: `${authority}/v2.0`,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    token_endpoint: tokenEndpoint(settings),
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    jwks_uri: `${authority}/discovery/v2.0/keys`,
  });
}

export function confidentialClientFor(settings: Settings): ConfidentialClientApplication {
  const cached = clients.get(settings);
  if (cached !== undefined) return cached;
  const client = new ConfidentialClientApplication({
    auth: {
      clientId: settings.entra.clientId,
      authority: tenantAuthority(settings),
      knownAuthorities: [new URL(settings.entra.authorityHost).host],
      authorityMetadata: authorityMetadata(settings),
      ...clientCredentialFor(settings),
    },
  });
  clients.set(settings, client);
  return client;
}
