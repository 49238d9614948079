/**
 * A request exactly as generated, bytes and all: node:http with no Host of its own, no agent
 * and no body framing added beyond what the case asks for, so lies in Content-Length and odd
 * Host headers reach the server as an attacker would send them.
 */
import { request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';

export interface WireRequest {
  readonly method: string;
  /** As it goes on the request line (already percent-encoded, or deliberately not). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export function send(
  port: number,
  request: WireRequest,
  timeoutMs = 15_000,
): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: request.path,
        method: request.method,
        setHost: false,
        agent: false,
        // Only the first answer counts: bytes a lying Content-Length left over may draw a
        // second (400) after it, which the strict parser would report instead.
        insecureHTTPParser: true,
        headers: { connection: 'close', ...request.headers },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    outgoing.on('error', reject);
    const { body } = request;
    if (body === undefined || Buffer.isBuffer(body)) outgoing.end(body);
    else body.pipe(outgoing);
  });
}
