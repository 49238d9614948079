/** The answer an injected fault gives in place of the real one, in the shape of the surface it hits. */
import type { FaultSpec } from '../faults.js';
import { graphError } from '../graph/responses.js';
import { OidcProvider } from '../oidc.js';
import type { SimResponse } from '../sim-response.js';

/** Undefined when the fault has no status (it only delays, drops or corrupts). */
export function faultResponse(spec: FaultSpec, shape: 'graph' | 'oidc'): SimResponse | undefined {
  if (spec.status === undefined) return undefined;
  let r: SimResponse;
  if (shape === 'graph') {
    const code =
      spec.status === 429
        ? 'TooManyRequests'
        : spec.status === 503
          ? 'ServiceUnavailable'
          : spec.status === 504
            ? 'GatewayTimeout'
            : 'InternalServerError';
    r = graphError(spec.status, code, `Simulated fault: ${code}.`);
  } else {
    r = OidcProvider.tokenError(
      spec.status,
      'temporarily_unavailable',
      90033,
      'A transient error has occurred. Please try again.',
    );
  }
  if (spec.retryAfterSeconds !== undefined)
    r.headers['retry-after'] = String(spec.retryAfterSeconds);
  return r;
}

/** The `delayMs` of a fault. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The page with its next link pointing back to `selfUrl` (the `loopNextLink` fault). */
export function loopingPage(r: SimResponse, selfUrl: string): SimResponse {
  if (r.status !== 200 || typeof r.body !== 'object' || r.body === null) return r;
  return { ...r, body: { ...(r.body as Record<string, unknown>), '@odata.nextLink': selfUrl } };
}
