/**
 * What the stand-in host refuses before a function sees the request. It listens on loopback
 * for one developer, so it answers loopback names only: a page on another site that points a
 * DNS name at 127.0.0.1 (DNS rebinding) must not read the local read API. Bodies are limited
 * and read in chunks, so a large one is refused without being buffered whole.
 */
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../loopback.js';

/** The Functions host takes far larger bodies; nothing this service accepts comes near this. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class RequestRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request's URL, once its Host header names this machine. */
export function requestUrl(request: IncomingMessage, extraHosts: readonly string[]): URL {
  const host = request.headers.host ?? '';
  const allowed =
    isLoopbackHost(host) || extraHosts.some((name) => name.toLowerCase() === host.toLowerCase());
  if (!allowed) {
    throw new RequestRefused(
      421,
      'misdirected_request',
      'This local host answers requests for localhost only.',
    );
  }
  try {
    return new URL(request.url ?? '/', `http://${host}`);
  } catch {
    throw new RequestRefused(400, 'bad_request', 'The request URL is not valid.');
  }
}

export async function readLimitedBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const refused = () =>
    new RequestRefused(413, 'payload_too_large', `Request bodies are limited to ${limit} bytes.`);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw refused();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw refused();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
