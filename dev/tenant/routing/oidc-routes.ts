/** The OIDC surface: Entra's v2 endpoint paths, routed to the `OidcProvider`. */
import { OidcProvider } from '../oidc.js';
import { endpointAnswer, refusal, type Surface, type SurfaceAnswer } from './surface.js';

const OIDC_ROUTE =
  /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/(?:authorize(?:\/select|\/cancel)?|token|logout))$/;

/** The surface for an OIDC path, undefined for any other path. */
export function oidcSurface(oidc: OidcProvider, method: string, path: string): Surface | undefined {
  const match = OIDC_ROUTE.exec(path);
  if (!match) return undefined;
  const [, tenant = '', endpoint = ''] = match;
  return {
    routeKey: `${method} /{tenantId}/${endpoint}`,
    faultShape: 'oidc',
    answer: async ({ url, headers, body }): Promise<SurfaceAnswer> => {
      if (!oidc.knowsTenant(tenant)) {
        return endpointAnswer(
          OidcProvider.tokenError(
            400,
            'invalid_tenant',
            90002,
            `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
          ),
        );
      }
      const form = new URLSearchParams(body.toString('utf8'));
      switch (endpoint) {
        case 'v2.0/.well-known/openid-configuration':
          return endpointAnswer(oidc.discovery());
        case 'discovery/v2.0/keys':
          return endpointAnswer(oidc.jwks());
        case 'oauth2/v2.0/authorize':
          return endpointAnswer(oidc.authorize(method === 'POST' ? form : url.searchParams));
        case 'oauth2/v2.0/authorize/select':
          return endpointAnswer(oidc.select(url.searchParams));
        case 'oauth2/v2.0/authorize/cancel':
          return endpointAnswer(oidc.cancel(url.searchParams));
        case 'oauth2/v2.0/logout':
          return endpointAnswer(oidc.logout(url.searchParams));
        default: // oauth2/v2.0/token, the one endpoint OIDC_ROUTE leaves
          if (method !== 'POST') {
            return refusal(
              OidcProvider.tokenError(
                405,
                'invalid_request',
                900561,
                'The endpoint only accepts POST requests.',
              ),
            );
          }
          return endpointAnswer(await oidc.token(form, headers.authorization));
      }
    },
  };
}
