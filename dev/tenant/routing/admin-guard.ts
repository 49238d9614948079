/**
 * What the admin API (`/_admin/...`) refuses before it routes a request. It has no sign-in: it
 * listens on loopback for one developer, so what must not reach it is a web page open in that
 * developer's browser.
 *
 * * A page on another site can send a request without a CORS preflight (a form post, a
 *   `fetch` in no-cors mode). The browser names the page in `Origin` (and `Sec-Fetch-Site`), and
 *   the body can only be text/plain, a form or multipart. So a request that changes something
 *   is refused when it comes from another origin, and its body must be `application/json`.
 * * A page that points its own DNS name at 127.0.0.1 (DNS rebinding) is same-origin to the
 *   browser and could read the answers: every admin route answers loopback Host names only.
 *
 * The tenant CLI and tests (no `Origin`, JSON bodies) pass unchanged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../../loopback.js';
import type { SimResponse } from '../sim-response.js';

/** Methods that only read: everything else changes the tenant. */
const READ_METHODS = new Set(['GET', 'HEAD']);

function refusal(status: number, error: string, message: string): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: { error, message } };
}

/** The tenant's own origins: its base URL, and `localhost` on the same port. */
export function isOwnOrigin(origin: string, baseUrl: string): boolean {
  const { port } = new URL(baseUrl);
  return [baseUrl, `https://localhost:${port}`].includes(origin);
}

/** A request the browser marks as coming from another page: `Origin` or `Sec-Fetch-Site`. */
export function isCrossSite(headers: IncomingHttpHeaders, baseUrl: string): boolean {
  const origin = headers.origin;
  if (origin !== undefined) return !isOwnOrigin(origin, baseUrl);
  const site = headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

function hostAllowed(headers: IncomingHttpHeaders, baseUrl: string): boolean {
  const host = headers.host ?? '';
  return isLoopbackHost(host) || host.toLowerCase() === new URL(baseUrl).host.toLowerCase();
}

function isJson(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/** Refusals from the headers alone, before the body is read; undefined lets the request on. */
export function adminHeaderRefusal(
  method: string,
  headers: IncomingHttpHeaders,
  baseUrl: string,
  { jsonRoute }: { jsonRoute: boolean },
): SimResponse | undefined {
  if (!hostAllowed(headers, baseUrl)) {
    return refusal(
      421,
      'misdirected_request',
      'The admin API answers requests for localhost only.',
    );
  }
  if (!jsonRoute || READ_METHODS.has(method)) return undefined;
  if (isCrossSite(headers, baseUrl)) {
    return refusal(403, 'forbidden', 'The admin API takes no requests from other web pages.');
  }
  if (headers['content-type'] !== undefined && !isJson(headers)) {
    return refusal(415, 'unsupported_media_type', 'Admin API bodies are application/json.');
  }
  return undefined;
}

/** A body without a content type is refused too: a browser sends text/plain for it. */
export function adminBodyRefusal(
  method: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): SimResponse | undefined {
  if (READ_METHODS.has(method) || body.length === 0 || isJson(headers)) return undefined;
  return refusal(415, 'unsupported_media_type', 'Admin API bodies are application/json.');
}
