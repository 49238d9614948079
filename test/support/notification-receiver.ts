/**
 * A notification endpoint on 127.0.0.1 for tests: answers Graph's validation handshake (or fails
 * it on purpose), records every notification POST, and answers them with scripted statuses and
 * delays so retries, timeouts and faults can be observed.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  body: { value: Record<string, unknown>[] };
  at: number;
}

export type ValidationBehaviour = 'echo' | 'status500' | 'wrongBody' | 'json' | { delayMs: number };

export interface NotificationReceiver {
  /** `<base>/notify` */
  url: string;
  /** `<base>/lifecycle` */
  lifecycleUrl: string;
  /** The decoded validation tokens received, in order. */
  validations: string[];
  /** Notification POSTs received (validation requests excluded), in order of arrival. */
  posts: ReceivedPost[];
  /** Change notification items received on `/notify`, flattened. */
  items(): Record<string, unknown>[];
  lifecycleItems(): Record<string, unknown>[];
  validation: ValidationBehaviour;
  /** Statuses for the next notification POSTs (then 202); `{ delayMs }` answers late. */
  script(...answers: (number | { delayMs: number; status?: number })[]): void;
  /** Resolves once `count` POSTs have arrived on `path` (default `/notify`), or fails after `timeoutMs`. */
  waitForPosts(
    count: number,
    options?: { path?: string; timeoutMs?: number },
  ): Promise<ReceivedPost[]>;
  clear(): void;
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const posts: ReceivedPost[] = [];
  const validations: string[] = [];
  let answers: (number | { delayMs: number; status?: number })[] = [];
  const waiters = new Set<() => void>();

  const receiver: NotificationReceiver = {
    url: '',
    lifecycleUrl: '',
    validations,
    posts,
    validation: 'echo',
    items: () => posts.filter((p) => p.path === '/notify').flatMap((p) => p.body.value),
    lifecycleItems: () => posts.filter((p) => p.path === '/lifecycle').flatMap((p) => p.body.value),
    script: (...next) => {
      answers = next;
    },
    waitForPosts: async (count, options = {}) => {
      const path = options.path ?? '/notify';
      const deadline = Date.now() + (options.timeoutMs ?? 5000);
      const matching = (): ReceivedPost[] => posts.filter((p) => p.path === path);
      while (matching().length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`expected ${count} POSTs on ${path}, got ${matching().length}`);
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, left);
          waiters.add(done);
        });
      }
      return matching();
    },
    clear: () => {
      posts.length = 0;
      validations.length = 0;
      answers = [];
      receiver.validation = 'echo';
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = await readAll(req);
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        validations.push(token);
        const v = receiver.validation;
        if (typeof v === 'object') await wait(v.delayMs);
        if (v === 'status500') res.writeHead(500).end();
        else if (v === 'json')
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(token));
        else if (v === 'wrongBody')
          res.writeHead(200, { 'content-type': 'text/plain' }).end('nope');
        else res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(token);
        return;
      }
      posts.push({
        path: url.pathname,
        body: JSON.parse(text) as ReceivedPost['body'],
        at: Date.now(),
      });
      for (const w of [...waiters]) w();
      const answer = answers.shift() ?? 202;
      const status = typeof answer === 'number' ? answer : (answer.status ?? 202);
      if (typeof answer === 'object') await wait(answer.delayMs);
      if (!res.destroyed) res.writeHead(status).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.url = `${base}/notify`;
  receiver.lifecycleUrl = `${base}/lifecycle`;
  return receiver;
}
