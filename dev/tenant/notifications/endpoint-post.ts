/**
 * One POST from the tenant to a subscriber's endpoint, with a deadline. The simulated tenant only
 * ever talks to loopback: any other host is treated as unreachable, so no test or local stack can
 * make it send anything off the machine.
 */

export type EndpointAnswer =
  | { ok: true; status: number; contentType: string; text: string }
  | { ok: false; failure: 'timeout' | 'unreachable'; detail: string };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
}

export async function postToEndpoint(
  url: string,
  request: { body: string; contentType: string; timeoutMs: number; stop: AbortSignal },
): Promise<EndpointAnswer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, failure: 'unreachable', detail: `not a URL: ${url}` };
  }
  if (!isLoopbackUrl(target)) {
    return {
      ok: false,
      failure: 'unreachable',
      detail: `the simulated tenant only sends to loopback hosts, not ${target.hostname}`,
    };
  }
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': request.contentType },
      body: request.body,
      signal: AbortSignal.any([timeout, request.stop]),
      redirect: 'manual',
    });
    const text = await res.text();
    return {
      ok: true,
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      text,
    };
  } catch (err) {
    if (timeout.aborted)
      return { ok: false, failure: 'timeout', detail: `no answer within ${request.timeoutMs} ms` };
    return { ok: false, failure: 'unreachable', detail: (err as Error).message };
  }
}
