/** Reading a request body and writing a `SimResponse` to the socket. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimResponse } from '../sim-response.js';

/** A failure with the HTTP status to answer it with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/**
 * Writes the response; `malformed` cuts its body in half (the `malformedBody` fault); `cut`
 * announces the whole body, sends half of it and destroys the socket (`dropMidResponse`).
 */
export function send(res: ServerResponse, r: SimResponse, malformed: boolean, cut = false): void {
  let text: string;
  if (r.body === undefined) text = '';
  else if (typeof r.body === 'string') text = r.body;
  else text = JSON.stringify(r.body);
  if (malformed) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  if (cut) {
    const bytes = Buffer.from(text);
    res.writeHead(r.status, { ...r.headers, 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  res.writeHead(r.status, r.headers);
  res.end(text);
}
