/**
 * A small stand-in for the Functions host, for machines without Azure Functions Core Tools:
 * it serves the registered HTTP functions under `/api` through the real `HttpRequest` and
 * `InvocationContext` classes of @azure/functions, fires timer functions on their NCRONTAB
 * schedules, and runs a non-HTTP function on `POST /admin/functions/{name}` as the host's admin
 * API does. Like `func start`, it does not check function keys; unlike it, it answers only
 * requests addressed to localhost (dev/host/request-guard.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import azureFunctions, { type Timer } from '@azure/functions';
import { parseNcrontab } from '../shared/config/ncrontab.js';
import type {
  FunctionDefinition,
  QueueFunctionDefinition,
  TimerFunctionDefinition,
} from '../functions/registry.js';
import { queueClientsFor } from './host/queue-connection.js';
import { readHostQueueSettings, type QueueTriggerSettings } from './host/queue-settings.js';
import { startQueueTrigger, type RunningQueueTrigger } from './host/queue-trigger.js';
import {
  invocationContext,
  writeFunctionResponse,
  writeJson,
  type HostLog,
} from './host/invocation.js';
import {
  MAX_BODY_BYTES,
  readLimitedBody,
  RequestRefused,
  requestUrl,
} from './host/request-guard.js';
import { compileRoute, MalformedPathError, type CompiledRoute } from './host/routes.js';
import { scheduleTimer, type ScheduledTimer } from './host/timer-schedule.js';

export type { HostLog } from './host/invocation.js';

// @azure/functions is CommonJS: Node's ESM loader sees `app` but not its classes by name.
const { HttpRequest } = azureFunctions;

export interface LocalHostOptions {
  readonly definitions: readonly FunctionDefinition[];
  readonly port?: number;
  readonly host?: string;
  /** Resolves `%NAME%` in timer schedules, as the Functions host does from app settings. */
  readonly settings?: Readonly<Record<string, string | undefined>>;
  readonly log?: HostLog;
  /** Off in tests that want to fire timers themselves. */
  readonly timers?: boolean;
  /** HTML served at `/` (the Functions host serves its own page there). */
  readonly homePage?: string;
  /** Host names answered besides loopback ones (for a host bound to another interface). */
  readonly allowedHosts?: readonly string[];
  readonly maxBodyBytes?: number;
  /** Longest time a client may take to send a whole request (default 30 s), then 408. */
  readonly requestTimeoutMs?: number;
  /** Off in tests that do not want queue triggers polling. */
  readonly queues?: boolean;
  /** Default: host.json's `extensions.queues` (host.json in the working directory). */
  readonly queueSettings?: QueueTriggerSettings;
  /** Longest wait between polls of an empty queue (default: host.json's maxPollingInterval). */
  readonly queuePollMaxMs?: number;
}

export interface LocalHost {
  readonly url: string;
  fireTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

const ROUTE_PREFIX = '/api/';
const REQUEST_TIMEOUT_MS = 30_000;
const ADMIN_FUNCTIONS = /^\/admin\/functions\/([^/]+)$/;

function resolveSetting(value: string, settings: Readonly<Record<string, string | undefined>>) {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_whole, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined || resolved === '') {
      throw new Error(`app setting ${name} is referenced by a timer schedule but not set`);
    }
    return resolved;
  });
}

function findRoute(routes: readonly CompiledRoute[], path: string, method: string) {
  let pathMatched = false;
  for (const route of routes) {
    const params = route.match(path);
    if (params === undefined) continue;
    pathMatched = true;
    if (route.definition.methods.includes(method as never)) return { route, params };
  }
  return pathMatched ? ('method_not_allowed' as const) : ('not_found' as const);
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log: HostLog =
    options.log ??
    ((level, message) => {
      console[level](message);
    });
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const routes = options.definitions.flatMap((definition) =>
    definition.trigger === 'http' ? [compileRoute(definition)] : [],
  );
  const timers = options.definitions.filter(
    (definition): definition is TimerFunctionDefinition => definition.trigger === 'timer',
  );
  const queueFunctions = options.definitions.filter(
    (definition): definition is QueueFunctionDefinition => definition.trigger === 'queue',
  );

  const lastFired = new Map<string, Date>();
  async function invokeTimer(definition: TimerFunctionDefinition, next: Date | undefined) {
    const now = new Date();
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (lastFired.get(definition.name) ?? now).toISOString(),
        next: (next ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    lastFired.set(definition.name, now);
    try {
      await definition.handler(timer, invocationContext(definition.name, log));
    } catch (error) {
      log(
        'error',
        `[${definition.name}] failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** `POST /admin/functions/{name}`: runs a non-HTTP function now; 202 as the host answers. */
  function runFromAdmin(name: string, response: ServerResponse) {
    const definition = timers.find((timer) => timer.name.toLowerCase() === name.toLowerCase());
    if (definition === undefined) {
      writeJson(response, 404, { error: 'not_found', message: 'No such non-HTTP function.' });
      return;
    }
    response.writeHead(202).end();
    void invokeTimer(definition, undefined);
  }

  async function serveFunction(request: IncomingMessage, response: ServerResponse, url: URL) {
    const method = (request.method ?? 'GET').toUpperCase();
    const found = findRoute(routes, url.pathname.slice(ROUTE_PREFIX.length), method);
    if (typeof found === 'string') {
      writeJson(response, found === 'not_found' ? 404 : 405, { error: found });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const body = await readLimitedBody(request, maxBodyBytes);
    const { definition } = found.route;
    const functionRequest = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      query: Object.fromEntries(url.searchParams),
      params: found.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    try {
      const result = await definition.handler(
        functionRequest,
        invocationContext(definition.name, log),
      );
      await writeFunctionResponse(result, response);
    } catch (error) {
      log(
        'error',
        `[${definition.name}] unhandled: ${error instanceof Error ? error.message : String(error)}`,
      );
      writeJson(response, 500, { error: 'internal', message: 'An unexpected error occurred.' });
    }
  }

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const url = requestUrl(request, options.allowedHosts ?? []);
    const method = (request.method ?? 'GET').toUpperCase();
    const admin = ADMIN_FUNCTIONS.exec(url.pathname);
    if (url.pathname === '/' && method === 'GET' && options.homePage !== undefined) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(options.homePage);
    } else if (admin !== null && method === 'POST') {
      await readLimitedBody(request, maxBodyBytes);
      runFromAdmin(decodeURIComponent(admin[1] ?? ''), response);
    } else if (url.pathname.startsWith(ROUTE_PREFIX)) {
      await serveFunction(request, response, url);
    } else {
      writeJson(response, 404, { error: 'not_found', message: 'Functions are served under /api/' });
    }
  }

  // Node's own default lets a request trickle in for 5 minutes; a client that declares a body
  // and stops sending should not hold a connection that long.
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const timeouts = {
    requestTimeout,
    headersTimeout: requestTimeout,
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  };
  const server = createServer(timeouts, (request, response) => {
    const started = Date.now();
    serve(request, response)
      .catch((error: unknown) => {
        const refused =
          error instanceof RequestRefused
            ? error
            : error instanceof MalformedPathError || error instanceof URIError
              ? new RequestRefused(400, 'bad_request', 'The request path is not valid.')
              : undefined;
        if (refused === undefined) {
          log('error', `request failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (response.headersSent) {
          response.destroy();
          return;
        }
        // A refused body is not read on: answer and close, as the connection is not reusable.
        response.setHeader('connection', 'close');
        writeJson(response, refused?.status ?? 500, {
          error: refused?.code ?? 'internal',
          message: refused?.message ?? 'An unexpected error occurred.',
        });
      })
      .finally(() => {
        log(
          'info',
          `${request.method ?? 'GET'} ${(request.url ?? '/').split('?')[0] ?? '/'} -> ${response.statusCode} (${Date.now() - started} ms)`,
        );
      });
  });
  // What the parser refuses, or a request that did not arrive in time, never reaches a function:
  // answer 400 or 408 and stay up.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? 'localhost' : (options.host ?? '127.0.0.1')}:${address.port}`;

  const queueTriggers: RunningQueueTrigger[] = [];
  if (options.queues !== false && queueFunctions.length > 0) {
    const queueSettings =
      options.queueSettings ?? readHostQueueSettings(join(process.cwd(), 'host.json'));
    for (const definition of queueFunctions) {
      let clients;
      try {
        clients = queueClientsFor(definition.connection, options.settings ?? process.env);
      } catch (error) {
        // As func start does: the function is left out, the rest of the app runs.
        log('error', `queue trigger ${definition.name} not started: ${(error as Error).message}`);
        continue;
      }
      queueTriggers.push(
        startQueueTrigger(definition, clients, queueSettings, log, options.queuePollMaxMs),
      );
      log('info', `queue trigger ${definition.name}: queue ${definition.queueName}`);
    }
  }

  const scheduled: ScheduledTimer[] = [];
  if (options.timers !== false) {
    for (const definition of timers) {
      const expression = resolveSetting(definition.schedule, options.settings ?? process.env);
      const parsed = parseNcrontab(expression);
      if (!parsed.ok)
        throw new Error(`timer ${definition.name}: schedule "${expression}" ${parsed.reason}`);
      const timer = scheduleTimer(parsed.schedule, (following) =>
        invokeTimer(definition, following),
      );
      scheduled.push(timer);
      log(
        'info',
        `timer ${definition.name}: "${expression}", next at ${timer.next().toISOString()}`,
      );
      if (definition.runOnStartup) void invokeTimer(definition, undefined);
    }
  }

  return {
    url,
    async fireTimer(name) {
      const definition = timers.find((timer) => timer.name === name);
      if (definition === undefined) throw new Error(`no timer function named ${name}`);
      await invokeTimer(definition, undefined);
    },
    async stop() {
      for (const timer of scheduled) timer.cancel();
      await Promise.all(queueTriggers.map((trigger) => trigger.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
