/**
 * A small stand-in for the Functions host, for machines without Azure Functions Core Tools:
 * it serves the registered HTTP functions under `/api` through the real `HttpRequest` and
 * `InvocationContext` classes of @azure/functions, and fires timer functions on their
 * NCRONTAB schedules. Like `func start`, it does not check function keys.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringifySetCookie } from 'cookie';
import azureFunctions, {
  type HttpResponse as FunctionResponse,
  type HttpResponseInit,
  type InvocationContext as FunctionContext,
  type Timer,
} from '@azure/functions';
import { nextOccurrence, parseNcrontab } from '../shared/config/ncrontab.js';
import type {
  FunctionDefinition,
  HttpFunctionDefinition,
  TimerFunctionDefinition,
} from '../functions/registry.js';

// @azure/functions is CommonJS: Node's ESM loader sees `app` but not its classes by name.
const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

export type HostLog = (level: 'info' | 'warn' | 'error', message: string) => void;

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
}

export interface LocalHost {
  readonly url: string;
  fireTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

const ROUTE_PREFIX = '/api/';

interface CompiledRoute {
  readonly definition: HttpFunctionDefinition;
  readonly match: (path: string) => Record<string, string> | undefined;
}

/** Azure route templates: literal segments, `{name}`, `{name:constraint}`, `{name?}`. */
function compileRoute(definition: HttpFunctionDefinition): CompiledRoute {
  const segments = definition.route.split('/').filter((segment) => segment.length > 0);
  return {
    definition,
    match(path) {
      const parts = path.split('/').filter((part) => part.length > 0);
      const params: Record<string, string> = {};
      for (const [index, segment] of segments.entries()) {
        const part = parts[index];
        const parameter = /^\{([A-Za-z0-9_]+)(?::[^}?]+)?(\?)?\}$/.exec(segment);
        if (parameter === null) {
          if (part?.toLowerCase() !== segment.toLowerCase()) return undefined;
          continue;
        }
        const [, name = '', optional] = parameter;
        if (part === undefined) {
          if (optional === undefined) return undefined;
          continue;
        }
        params[name] = decodeURIComponent(part);
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

function resolveSetting(value: string, settings: Readonly<Record<string, string | undefined>>) {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_whole, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined || resolved === '') {
      throw new Error(`app setting ${name} is referenced by a timer schedule but not set`);
    }
    return resolved;
  });
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function context(name: string, log: HostLog): FunctionContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: name,
    logHandler: (level, ...args) => {
      const message = args
        .map((arg) => (arg instanceof Error ? arg.message : String(arg)))
        .join(' ');
      const mapped =
        level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      log(mapped, `[${name}] ${message}`);
    },
  });
}

async function writeResponse(
  result: HttpResponseInit | FunctionResponse,
  response: ServerResponse,
) {
  const httpResponse = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string | string[]> = {};
  httpResponse.headers.forEach((value, name) => {
    if (name.toLowerCase() !== 'set-cookie') headers[name] = value;
  });
  const cookies = httpResponse.cookies.map((cookie) =>
    stringifySetCookie({
      name: cookie.name,
      value: cookie.value,
      ...(cookie.path === undefined ? {} : { path: cookie.path }),
      ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
      ...(cookie.maxAge === undefined ? {} : { maxAge: cookie.maxAge }),
      ...(cookie.expires === undefined ? {} : { expires: new Date(cookie.expires) }),
      ...(cookie.secure === undefined ? {} : { secure: cookie.secure }),
      ...(cookie.httpOnly === undefined ? {} : { httpOnly: cookie.httpOnly }),
      ...(cookie.sameSite === undefined
        ? {}
        : { sameSite: cookie.sameSite.toLowerCase() as 'lax' | 'strict' | 'none' }),
    }),
  );
  const existing = httpResponse.headers.get('set-cookie');
  if (existing !== null) cookies.unshift(existing);
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = Buffer.from(await httpResponse.arrayBuffer());
  response.writeHead(httpResponse.status, headers);
  response.end(body);
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log: HostLog =
    options.log ??
    ((level, message) => {
      console[level](message);
    });
  const routes = options.definitions
    .filter((definition): definition is HttpFunctionDefinition => definition.trigger === 'http')
    .map(compileRoute);
  const timers = options.definitions.filter(
    (definition): definition is TimerFunctionDefinition => definition.trigger === 'timer',
  );

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
      const method = (request.method ?? 'GET').toUpperCase();
      if (url.pathname === '/' && method === 'GET' && options.homePage !== undefined) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(options.homePage);
        return;
      }
      if (!url.pathname.startsWith(ROUTE_PREFIX)) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: 'not_found', message: 'Functions are served under /api/' }),
        );
        return;
      }
      const path = url.pathname.slice(ROUTE_PREFIX.length);
      let matched: { route: CompiledRoute; params: Record<string, string> } | undefined;
      let pathMatched = false;
      for (const route of routes) {
        const params = route.match(path);
        if (params === undefined) continue;
        pathMatched = true;
        if (route.definition.methods.includes(method as never)) {
          matched = { route, params };
          break;
        }
      }
      if (matched === undefined) {
        response.writeHead(pathMatched ? 405 : 404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: pathMatched ? 'method_not_allowed' : 'not_found' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body = await readBody(request);
      const started = Date.now();
      const { definition } = matched.route;
      const functionRequest = new HttpRequest({
        method,
        url: url.toString(),
        headers,
        query: Object.fromEntries(url.searchParams),
        params: matched.params,
        ...(body.length > 0 ? { body: { bytes: body } } : {}),
      });
      try {
        const result = await definition.handler(functionRequest, context(definition.name, log));
        await writeResponse(result, response);
      } catch (error) {
        log(
          'error',
          `[${definition.name}] unhandled: ${error instanceof Error ? error.message : String(error)}`,
        );
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: 'internal', message: 'An unexpected error occurred.' }),
        );
      }
      log(
        'info',
        `${method} ${url.pathname} -> ${response.statusCode} (${Date.now() - started} ms)`,
      );
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? 'localhost' : (options.host ?? '127.0.0.1')}:${address.port}`;

  const handles: NodeJS.Timeout[] = [];
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
      await definition.handler(timer, context(definition.name, log));
    } catch (error) {
      log(
        'error',
        `[${definition.name}] failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (options.timers !== false) {
    for (const definition of timers) {
      const expression = resolveSetting(definition.schedule, options.settings ?? process.env);
      const parsed = parseNcrontab(expression);
      if (!parsed.ok)
        throw new Error(`timer ${definition.name}: schedule "${expression}" ${parsed.reason}`);
      const schedule = parsed.schedule;
      const arm = () => {
        const next = nextOccurrence(schedule, new Date());
        const handle = setTimeout(() => {
          void invokeTimer(definition, nextOccurrence(schedule, next)).finally(arm);
        }, next.getTime() - Date.now());
        handles.push(handle);
      };
      arm();
      log(
        'info',
        `timer ${definition.name}: "${expression}", next at ${nextOccurrence(schedule, new Date()).toISOString()}`,
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
      for (const handle of handles) clearTimeout(handle);
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
