/**
 * Reading a request body no larger than a limit: a declared length over it is refused before
 * anything is read, and a body that grows past it is refused as soon as it does, never buffered
 * whole. Web streams only, so the HTTP edge of any host can use it.
 */
import { SyncServiceError } from './errors.js';

function tooLarge(limit: number): SyncServiceError {
  return new SyncServiceError('request_too_large', `Request bodies are limited to ${limit} bytes.`);
}

export async function readLimitedText(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | null,
  limit: number,
): Promise<string> {
  if (declaredLength !== null && Number(declaredLength) > limit) throw tooLarge(limit);
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit);
      chunks.push(value);
    }
  } finally {
    // Stop reading what is left of a refused body.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}
