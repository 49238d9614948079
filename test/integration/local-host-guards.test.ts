import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../functions/registry.js';
import { startLocalHost, type LocalHost } from '../../dev/host.js';

const seen: string[] = [];
const fired: string[] = [];
const definitions: FunctionDefinition[] = [
  {
    trigger: 'http',
    name: 'item',
    route: 'items/{id}',
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    handler: async (request) => {
      seen.push(`${request.method} ${request.params.id ?? ''} ${(await request.text()).length}`);
      return { jsonBody: { id: request.params.id } };
    },
  },
  {
    trigger: 'timer',
    name: 'reconcile',
    schedule: '0 0 0 1 1 *',
    runOnStartup: false,
    handler: () => {
      fired.push('reconcile');
    },
  },
];

let host: LocalHost;
let port: number;
beforeAll(async () => {
  host = await startLocalHost({ definitions, port: 0, maxBodyBytes: 1024, log: () => undefined });
  port = Number(new URL(host.url).port);
});
afterAll(async () => {
  await host.stop();
});

/** A request with exactly the given Host header and path, as a browser or an attacker sends it. */
function raw(
  path: string,
  options: { host?: string; method?: string; body?: Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        setHost: false,
        headers: { host: options.host ?? `localhost:${port}`, ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: response.headers,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** What the host answers to these bytes, read until it closes the connection. */
function replyTo(bytes: string, toPort = port): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(toPort, '127.0.0.1', () => {
      socket.write(bytes);
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('close', () => {
      resolve(data);
    });
    socket.on('error', reject);
  });
}

async function stillServing() {
  expect((await fetch(`${host.url}/api/items/abc`)).status).toBe(200);
}

describe('the local host refuses what would have stopped it or leaked to other sites', () => {
  it('answers a path that is not valid percent-encoding with 400, and keeps serving', async () => {
    const response = await raw('/api/items/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: 'bad_request',
      message: 'The request path is not valid.',
    });
    await stillServing();
  });

  it('answers a Host header that is no host name (a b) without stopping', async () => {
    const response = await raw('/api/items/abc', { host: 'a b' });
    expect(response.status).toBe(421);
    await stillServing();
  });

  it('answers requests addressed to another name (DNS rebinding) with 421 and runs nothing', async () => {
    const before = seen.length;
    for (const name of ['evil.example', `evil.example:${port}`, 'localhost.evil.example']) {
      const response = await raw('/api/items/abc', { host: name });
      expect(response.status, name).toBe(421);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'misdirected_request' });
    }
    expect(seen.length).toBe(before);
  });

  it('answers every loopback name', async () => {
    for (const name of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'app.localhost',
    ]) {
      expect((await raw('/api/items/abc', { host: name })).status, name).toBe(200);
    }
  });

  it('refuses a body over the limit by its declared length, before reading it', async () => {
    const before = seen.length;
    const response = await raw('/api/items/abc', {
      method: 'POST',
      headers: { 'content-length': String(50 * 1024 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'payload_too_large' });
    expect(seen.length).toBe(before);
    await stillServing();
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const before = seen.length;
    const response = await raw('/api/items/abc', {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: Buffer.alloc(4096, 'x'),
    });
    expect(response.status).toBe(413);
    expect(seen.length).toBe(before);
    const small = await raw('/api/items/abc', { method: 'POST', body: Buffer.alloc(512, 'x') });
    expect(small.status).toBe(200);
    expect(seen.at(-1)).toBe('POST abc 512');
  });

  it('runs nothing when a body ends before its declared length, and keeps serving', async () => {
    const before = seen.length;
    const errors: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /api/items/abc HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Length: 100\r\n\r\n` +
            'x'.repeat(10),
        );
        // The client gives up with 90 bytes still owed: the host must not run the function on
        // the 10 it got, nor fall over writing an answer to a socket that has gone.
        setImmediate(() => socket.destroy());
      });
      socket.on('close', () => {
        resolve();
      });
      socket.on('error', (error) => {
        errors.push(error.message);
      });
      setTimeout(() => {
        reject(new Error('the socket did not close'));
      }, 5_000);
    });
    await stillServing();
    expect(seen.slice(before)).toEqual(['GET abc 0']);
    expect(errors).toEqual([]);
  });

  it('answers 408 and closes when a declared body stops coming, and runs nothing', async () => {
    const patient = await startLocalHost({
      definitions,
      port: 0,
      requestTimeoutMs: 300,
      log: () => undefined,
    });
    try {
      const before = seen.length;
      // 10 of the 100 bytes declared, and then nothing, with the connection left open.
      const reply = await replyTo(
        'POST /api/items/abc HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n' +
          'x'.repeat(10),
        Number(new URL(patient.url).port),
      );
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      expect(seen.length).toBe(before);
      expect((await fetch(`${patient.url}/api/items/abc`)).status).toBe(200);
    } finally {
      await patient.stop();
    }
  });

  it('answers a request line the HTTP parser refuses with 400, and keeps serving', async () => {
    const reply = await replyTo(
      'GET /api/items/abc HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });
});

describe("the host's admin route", () => {
  it('runs a timer function on POST /admin/functions/{name} and answers 202', async () => {
    const response = await raw('/admin/functions/reconcile', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"input":""}'),
    });
    expect(response.status).toBe(202);
    await expect.poll(() => fired.length).toBe(1);
  });

  it('answers 404 for a function it does not have, or an HTTP one', async () => {
    expect((await raw('/admin/functions/nope', { method: 'POST' })).status).toBe(404);
    expect((await raw('/admin/functions/item', { method: 'POST' })).status).toBe(404);
  });

  it('answers only loopback names too', async () => {
    const response = await raw('/admin/functions/reconcile', {
      method: 'POST',
      host: 'evil.example',
    });
    expect(response.status).toBe(421);
  });
});
