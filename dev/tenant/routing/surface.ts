/** What the request handler asks of each surface it routes to (OIDC, Graph, unknown paths). */
import type { IncomingHttpHeaders } from 'node:http';
import type { SimResponse } from '../sim-response.js';

export interface TopLevelRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A response, and whether a `malformedBody` fault may cut it (only answers from the endpoint
 * itself, not refusals before it such as a missing token), and whether the connection breaks
 * halfway through it (a sub-request's `dropMidResponse`); or 'drop' to destroy the connection.
 */
export type SurfaceAnswer =
  { response: SimResponse; malformable: boolean; cutMidResponse?: boolean } | 'drop';

export interface Surface {
  /** The normalised route for the counters, e.g. `GET /v1.0/groups/{id}/members`. */
  readonly routeKey: string;
  /** The error shape an injected status fault answers in. */
  readonly faultShape: 'graph' | 'oidc';
  answer(request: TopLevelRequest): Promise<SurfaceAnswer>;
}

export function endpointAnswer(response: SimResponse): SurfaceAnswer {
  return { response, malformable: true };
}

export function refusal(response: SimResponse): SurfaceAnswer {
  return { response, malformable: false };
}
