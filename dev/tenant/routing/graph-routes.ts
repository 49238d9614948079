/**
 * The Graph surface (`/v1.0/...`): the bearer token first, then the JSON body, then `$batch` or
 * one metered request. Also the answer for paths no surface knows (Graph's 404).
 */
import { routeInfo } from '../graph/handler.js';
import { graphError } from '../graph/responses.js';
import type { TenantState } from '../state.js';
import { verifyGraphToken, type GraphCaller } from '../tokens.js';
import { answerBatch } from './batch.js';
import { meteredGraphCall } from './metered-graph.js';
import { endpointAnswer, refusal, type Surface, type SurfaceAnswer } from './surface.js';

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

function unauthenticated(message: string, clientRequestId: string | undefined, header: string) {
  const e = graphError(401, 'InvalidAuthenticationToken', message, clientRequestId);
  e.headers['www-authenticate'] = header;
  return refusal(e);
}

/** The surface for a Graph path, undefined for any other path. */
export function graphSurface(
  state: TenantState,
  method: string,
  path: string,
): Surface | undefined {
  if (!(path.startsWith('/v1.0/') || path === '/v1.0')) return undefined;
  const graphPath = path.slice('/v1.0'.length) || '/';
  const isBatch = graphPath === '/$batch';
  return {
    routeKey: isBatch ? `${method} /v1.0/$batch` : routeInfo(method, graphPath).key,
    faultShape: 'graph',
    answer: async ({ url, headers, body: raw }): Promise<SurfaceAnswer> => {
      const clientRequestId =
        typeof headers['client-request-id'] === 'string' ? headers['client-request-id'] : undefined;
      const auth = headers.authorization;
      if (auth?.startsWith('Bearer ') !== true || auth.length <= 7) {
        return unauthenticated('Access token is empty.', clientRequestId, WWW_AUTHENTICATE);
      }
      let caller: GraphCaller;
      try {
        caller = await verifyGraphToken(state, auth.slice(7).trim());
      } catch (err) {
        return unauthenticated(
          (err as Error).message,
          clientRequestId,
          `${WWW_AUTHENTICATE}, error="invalid_token"`,
        );
      }
      let body: unknown = undefined;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return refusal(
            graphError(
              400,
              'BadRequest',
              'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
              clientRequestId,
            ),
          );
        }
      }
      if (isBatch) {
        if (method !== 'POST') {
          return refusal(
            graphError(
              405,
              'Request_BadRequest',
              'Specified HTTP method is not allowed for the request uri.',
              clientRequestId,
            ),
          );
        }
        const r = await answerBatch(state, body, caller);
        if (r === 'drop') return r;
        return { response: r.response, malformable: true, cutMidResponse: r.cut };
      }
      const flat: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(headers))
        flat[k] = Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : undefined;
      return endpointAnswer(
        await meteredGraphCall(state, {
          method,
          path: graphPath,
          query: url.searchParams,
          headers: flat,
          body,
          caller,
        }),
      );
    },
  };
}

/** Any path that is neither OIDC nor Graph: Graph's 404. */
export function unknownPathSurface(method: string, path: string): Surface {
  return {
    routeKey: `${method} ${path} (unknown)`,
    faultShape: 'graph',
    answer: ({ headers }) =>
      Promise.resolve(
        refusal(
          graphError(
            404,
            'Request_ResourceNotFound',
            `The simulated tenant has no resource at '${path}'.`,
            headers['client-request-id'] as string | undefined,
          ),
        ),
      ),
  };
}
