/**
 * The simulated Entra tenant: OIDC (v2) and Microsoft Graph (v1.0) over HTTPS on loopback, with
 * an admin API, faults on demand, a resource-unit budget and counters. See
 * docs/simulated-tenant.md.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ensureDevCertificate, trustBundle } from './certificate.js';
import {
  FaultRegistry,
  ResourceBudgetMeter,
  defaultBudgetLimit,
  type FaultSpec,
  type ResourceUnitBudget,
} from './faults.js';
import {
  MAX_BATCH,
  graphError,
  handleGraph,
  resourceUnits,
  routeInfo,
  type SimResponse,
} from './graph.js';
import {
  Directory,
  DirectoryError,
  loadTenantFile,
  parseTenantData,
  type AppRoleAssignment,
  type GroupObject,
  type ParsedTenantData,
  type TenantData,
  type TenantGroupInput,
  type TenantUserInput,
  type UserObject,
} from './model.js';
import { OidcProvider, type AuthorizeRequestRecord } from './oidc.js';
import {
  KeyRing,
  issueUserToken,
  verifyGraphToken,
  type IssueTokenOptions,
  type TokenContext,
} from './tokens.js';

export type CertificateOption =
  | { certPath: string; keyPath: string; caPath?: string }
  | { cert: string; key: string; caPath?: string };

export interface SimulatedTenantOptions {
  /** Tenant data, or the path of a JSON tenant file. */
  tenant: TenantData | string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Default page size of Graph collections (Graph's is 100). */
  pageSize?: number;
  /** The resource-unit budget; off (false) by default. `true` uses Graph's defaults. */
  throttling?: ResourceUnitBudget | boolean;
  /** Default: `ensureDevCertificate()`. */
  certificate?: CertificateOption;
  /** Refuse authorization requests without PKCE (S256). Default true. */
  requirePkce?: boolean;
  /** Called with one line per request (method, path, status). */
  onRequest?: (line: string) => void;
}

export interface TenantCounters {
  /** Requests by normalised route, e.g. `GET /v1.0/groups/{id}/transitiveMembers` (sub-requests of `$batch` included). */
  requestsByRoute: Record<string, number>;
  /** Responses by status code (sub-responses of `$batch` included). */
  statuses: Record<string, number>;
  /** Resource units charged to Graph requests that were not throttled (counted even with throttling off). */
  resourceUnitsSpent: number;
  /** Sub-requests received inside `$batch` requests. */
  batchSubRequests: number;
  /** Requests answered with 429 by the budget (not injected faults). */
  throttled: number;
  /** HTTP requests received (admin API excluded). */
  total: number;
}

export interface TenantAdmin {
  addUser(user: TenantUserInput): UserObject;
  addGroup(group: TenantGroupInput): GroupObject;
  /** Adds a user or a group (nesting) to a group. */
  addMember(groupId: string, memberId: string): void;
  removeMember(groupId: string, memberId: string): void;
  assignGroup(groupId: string, appRoleId?: string): AppRoleAssignment;
  unassignGroup(groupId: string): void;
  assignUser(userId: string, appRoleId?: string): AppRoleAssignment;
  unassignUser(userId: string): void;
  renameGroup(groupId: string, displayName: string): void;
  deleteGroup(groupId: string): void;
  deleteUser(userId: string): void;
  disableUser(userId: string): void;
  enableUser(userId: string): void;
  updateUser(
    userId: string,
    patch: { displayName?: string; userPrincipalName?: string; mail?: string | null },
  ): UserObject;
  /** The current directory in the tenant-file shape. */
  getState(): ParsedTenantData;
  /** Back to the data the tenant started with (keys, faults and counters are kept). */
  reset(): void;
}

export interface TenantFaults {
  /** Returns the fault's id (for `remove`). */
  inject(fault: FaultSpec): number;
  remove(id: number): boolean;
  clear(): void;
  list(): ReturnType<FaultRegistry['list']>;
}

export interface SimulatedTenant {
  baseUrl: string;
  authorityHost: string;
  graphEndpoint: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  appIdUri: string;
  servicePrincipalId: string;
  /** The CA file to trust (NODE_EXTRA_CA_CERTS), when known. */
  caPath: string | undefined;
  /** The env lines a service process needs to use this tenant. */
  env: Record<string, string>;
  issueToken(opts: IssueTokenOptions): Promise<string>;
  /** A new signing key; the old one leaves the JWKS unless `keepPrevious`. Returns the new kid. */
  rotateSigningKey(opts?: { keepPrevious?: boolean }): Promise<string>;
  admin: TenantAdmin;
  faults: TenantFaults;
  counters(): TenantCounters;
  resetCounters(): void;
  /** Changes the page size or the budget at run time. */
  configure(opts: { pageSize?: number; throttling?: ResourceUnitBudget | boolean }): void;
  /** The last authorize requests received (newest last). */
  authorizeRequests(): AuthorizeRequestRecord[];
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function emptyCounters(): TenantCounters {
  return {
    requestsByRoute: {},
    statuses: {},
    resourceUnitsSpent: 0,
    batchSubRequests: 0,
    throttled: 0,
    total: 0,
  };
}

function bump(rec: Record<string, number>, key: string, by = 1): void {
  rec[key] = (rec[key] ?? 0) + by;
}

function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Title-Case header names the way Graph writes them in `$batch` sub-responses. */
function batchHeaderName(name: string): string {
  if (name.startsWith('x-ms-')) return name;
  return name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

function resolveCertificate(opt: CertificateOption): {
  cert: string;
  key: string;
  caPath: string | undefined;
} {
  if ('cert' in opt) return { cert: opt.cert, key: opt.key, caPath: opt.caPath };
  return {
    cert: readFileSync(opt.certPath, 'utf8'),
    key: readFileSync(opt.keyPath, 'utf8'),
    caPath: opt.caPath ?? opt.certPath,
  };
}

const OIDC_ROUTE =
  /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/(?:authorize(?:\/select|\/cancel)?|token|logout))$/;

/** Starts the simulated tenant. */
export async function startSimulatedTenant(
  options: SimulatedTenantOptions,
): Promise<SimulatedTenant> {
  const initial: ParsedTenantData =
    typeof options.tenant === 'string'
      ? loadTenantFile(options.tenant)
      : parseTenantData(options.tenant);
  let directory = new Directory(structuredClone(initial));
  const cert = resolveCertificate(options.certificate ?? (await ensureDevCertificate()));
  const keys = await KeyRing.create();
  const faults = new FaultRegistry();
  let counters = emptyCounters();
  let pageSize = options.pageSize ?? 100;
  let meter: ResourceBudgetMeter | undefined;
  const setThrottling = (t: ResourceUnitBudget | boolean | undefined): void => {
    if (t === undefined || t === false) {
      meter = undefined;
      return;
    }
    const b = t === true ? {} : t;
    meter = new ResourceBudgetMeter(
      b.limit ?? defaultBudgetLimit(directory.users.size),
      (b.windowSeconds ?? 10) * 1000,
    );
  };
  setThrottling(options.throttling);

  const host = options.host ?? '127.0.0.1';
  // The base URL is only known after listen(); the contexts read it through getters.
  let baseUrl = '';
  const tokenCtx: TokenContext = {
    get directory() {
      return directory;
    },
    keys,
    get authorityHost() {
      return baseUrl;
    },
    get graphEndpoint() {
      return baseUrl;
    },
  };
  const oidc = new OidcProvider(tokenCtx, { requirePkce: options.requirePkce ?? true });
  const graphCtx = {
    get directory() {
      return directory;
    },
    get graphEndpoint() {
      return baseUrl;
    },
    get pageSize() {
      return pageSize;
    },
  };

  const record = (status: number): void => {
    bump(counters.statuses, String(status));
  };

  /** Charges the budget; a 429 response when it is spent. */
  const charge = (cost: number): SimResponse | { units: number; fraction: number | undefined } => {
    if (!meter) {
      counters.resourceUnitsSpent += cost;
      return { units: cost, fraction: undefined };
    }
    const r = meter.consume(cost);
    if (!r.ok) {
      counters.throttled += 1;
      const e = graphError(
        429,
        'TooManyRequests',
        `Too many requests: the resource-unit budget of ${meter.limit} per ${meter.windowMs / 1000} s is spent. Retry after ${r.retryAfterSeconds} seconds.`,
      );
      e.headers['retry-after'] = String(r.retryAfterSeconds);
      e.headers['x-ms-throttle-scope'] =
        `Tenant_Application/ReadWrite/${directory.app.clientId}/${directory.tenantId}`;
      e.headers['x-ms-throttle-information'] = 'ResourceUnitLimitExceeded';
      return e;
    }
    counters.resourceUnitsSpent += cost;
    return { units: cost, fraction: r.usedFraction };
  };

  const faultResponse = (spec: FaultSpec, graph: boolean): SimResponse | undefined => {
    if (spec.status === undefined) return undefined;
    let r: SimResponse;
    if (graph) {
      const code =
        spec.status === 429
          ? 'TooManyRequests'
          : spec.status === 503
            ? 'ServiceUnavailable'
            : spec.status === 504
              ? 'GatewayTimeout'
              : 'InternalServerError';
      r = graphError(spec.status, code, `Simulated fault: ${code}.`);
    } else {
      r = OidcProvider.tokenError(
        spec.status,
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
      );
    }
    if (spec.retryAfterSeconds !== undefined)
      r.headers['retry-after'] = String(spec.retryAfterSeconds);
    return r;
  };

  /** One Graph request through throttling and the handler. */
  const graphCall = (
    method: string,
    path: string,
    query: URLSearchParams,
    headers: Record<string, string | undefined>,
    body: unknown,
    caller: { kind: 'app' | 'user'; oid: string },
  ): SimResponse => {
    const info = routeInfo(method, path);
    const charged = charge(resourceUnits(info.baseCost, query));
    if ('status' in charged) return charged;
    const r = handleGraph(graphCtx, {
      method,
      path,
      query,
      headers,
      body,
      callerOid: caller.oid,
      callerKind: caller.kind,
    });
    r.headers['x-ms-resource-unit'] = String(charged.units);
    if (charged.fraction !== undefined && charged.fraction > 0.8)
      r.headers['x-ms-throttle-limit-percentage'] = charged.fraction.toFixed(1);
    return r;
  };

  const batch = async (
    body: unknown,
    caller: { kind: 'app' | 'user'; oid: string },
  ): Promise<SimResponse | 'drop'> => {
    const requests = (body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0)
      return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    if (requests.length > MAX_BATCH)
      return graphError(
        400,
        'BadRequest',
        `The number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_BATCH}.`,
      );
    const ids = new Set<string>();
    for (const r of requests as unknown[]) {
      const s = r as { id?: unknown; method?: unknown; url?: unknown };
      if (
        typeof s.id !== 'string' ||
        typeof s.method !== 'string' ||
        typeof s.url !== 'string' ||
        ids.has(s.id)
      ) {
        return graphError(
          400,
          'BadRequest',
          'Invalid batch payload format: each request needs a unique string id, a method and a url.',
        );
      }
      ids.add(s.id);
    }
    const statusById = new Map<string, number>();
    const responses: {
      id: string;
      status: number;
      headers: Record<string, string>;
      body?: unknown;
    }[] = [];
    for (const raw of requests as {
      id: string;
      method: string;
      url: string;
      headers?: Record<string, string>;
      body?: unknown;
      dependsOn?: string[];
    }[]) {
      counters.batchSubRequests += 1;
      const method = raw.method.toUpperCase();
      const subHeaders: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(raw.headers ?? {})) subHeaders[k.toLowerCase()] = v;
      let r: SimResponse;
      if (/^[a-z]+:\/\//i.test(raw.url)) {
        bump(counters.requestsByRoute, `${method} (absolute url in $batch)`);
        r = graphError(
          400,
          'BadRequest',
          'Invalid request URL: a $batch request url must be relative to the version (e.g. /users/{id}).',
        );
      } else {
        const rel = raw.url.startsWith('/') ? raw.url : `/${raw.url}`;
        const q = rel.indexOf('?');
        const path = q === -1 ? rel : rel.slice(0, q);
        const query = new URLSearchParams(q === -1 ? '' : rel.slice(q + 1));
        bump(counters.requestsByRoute, routeInfo(method, path).key);
        const fault = faults.take(method, `/v1.0${rel}`, true);
        if (fault?.delayMs !== undefined) await sleep(fault.delayMs);
        if (fault?.dropConnection === true) return 'drop';
        const failedDep = (raw.dependsOn ?? []).find((d) => (statusById.get(d) ?? 0) >= 400);
        const injected = fault ? faultResponse(fault, true) : undefined;
        if (injected) r = injected;
        else if (failedDep !== undefined)
          r = graphError(
            424,
            'FailedDependency',
            `Request ${raw.id} depends on request ${failedDep}, which failed.`,
          );
        else if (raw.body !== undefined && subHeaders['content-type'] === undefined) {
          r = graphError(
            400,
            'BadRequest',
            `Write request id : ${raw.id} does not contain Content-Type header or body.`,
          );
        } else r = graphCall(method, path, query, subHeaders, raw.body, caller);
      }
      record(r.status);
      statusById.set(raw.id, r.status);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers)) headers[batchHeaderName(k)] = v;
      headers['Cache-Control'] ??= 'no-cache';
      headers['OData-Version'] = '4.0';
      const entry: { id: string; status: number; headers: Record<string, string>; body?: unknown } =
        { id: raw.id, status: r.status, headers };
      if (r.body !== undefined && r.body !== '') entry.body = r.body;
      responses.push(entry);
    }
    return {
      status: 200,
      headers: {
        'content-type':
          'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      },
      body: { responses },
    };
  };

  const admin: TenantAdmin = {
    addUser: (u) => directory.addUser(u),
    addGroup: (g) => directory.addGroup(g),
    addMember: (g, m) => {
      directory.addMember(g, m);
    },
    removeMember: (g, m) => {
      directory.removeMember(g, m);
    },
    assignGroup: (g, role) => {
      directory.requireGroup(g);
      return directory.assign(g, role);
    },
    unassignGroup: (g) => {
      directory.unassign(g);
    },
    assignUser: (u, role) => directory.assign(directory.requireUser(u).id, role),
    unassignUser: (u) => {
      directory.unassign(directory.requireUser(u).id);
    },
    renameGroup: (g, name) => {
      directory.renameGroup(g, name);
    },
    deleteGroup: (g) => {
      directory.deleteGroup(g);
    },
    deleteUser: (u) => {
      directory.deleteUser(u);
    },
    disableUser: (u) => {
      directory.setUserEnabled(u, false);
    },
    enableUser: (u) => {
      directory.setUserEnabled(u, true);
    },
    updateUser: (u, patch) => directory.updateUser(u, patch),
    getState: () => directory.snapshot(),
    reset: () => {
      directory = new Directory(structuredClone(initial));
    },
  };

  const faultApi: TenantFaults = {
    inject: (f) => faults.inject(f),
    remove: (id) => faults.remove(id),
    clear: () => {
      faults.clear();
    },
    list: () => faults.list(),
  };

  const configure = (opts: {
    pageSize?: number;
    throttling?: ResourceUnitBudget | boolean;
  }): void => {
    if (opts.pageSize !== undefined) {
      if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1 || opts.pageSize > 999)
        throw new Error('pageSize must be an integer in 1..999');
      pageSize = opts.pageSize;
    }
    if (opts.throttling !== undefined) setThrottling(opts.throttling);
  };

  const issueToken = (opts: IssueTokenOptions): Promise<string> => issueUserToken(tokenCtx, opts);
  const rotateSigningKey = (opts?: { keepPrevious?: boolean }): Promise<string> =>
    keys.rotate(opts?.keepPrevious ?? false);

  // ---------- the admin API over HTTP ----------

  const adminHttp = async (method: string, path: string, body: unknown): Promise<SimResponse> => {
    const ok = (value: unknown, status = 200): SimResponse => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: value ?? { ok: true },
    });
    const b = (body ?? {}) as Record<string, unknown>;
    const str = (k: string): string => {
      const v = b[k];
      if (typeof v !== 'string') throw new HttpError(400, `body.${k} must be a string`);
      return v;
    };
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent); // ['_admin', ...]
    const [, a, id, c, d] = seg;
    const literal = `${method} ${seg.slice(1).join('/')}`;
    const fixed = ['POST keys/rotate', 'POST counters/reset'];
    const route = fixed.includes(literal)
      ? literal
      : `${method} ${[a, id === undefined ? undefined : ':id', c, d === undefined ? undefined : ':id'].filter((x) => x !== undefined).join('/')}`;
    switch (route) {
      case 'GET state':
        return ok(admin.getState());
      case 'POST reset':
        admin.reset();
        return ok(null);
      case 'POST users':
        return ok(admin.addUser(b as unknown as TenantUserInput), 201);
      case 'PATCH users/:id':
        return ok(admin.updateUser(id ?? '', b));
      case 'DELETE users/:id':
        admin.deleteUser(id ?? '');
        return ok(null);
      case 'POST users/:id/disable':
        admin.disableUser(id ?? '');
        return ok(null);
      case 'POST users/:id/enable':
        admin.enableUser(id ?? '');
        return ok(null);
      case 'POST groups': {
        const g = admin.addGroup(b as unknown as TenantGroupInput);
        return ok({ ...g, members: [...g.members] }, 201);
      }
      case 'PATCH groups/:id':
        admin.renameGroup(id ?? '', str('displayName'));
        return ok(null);
      case 'DELETE groups/:id':
        admin.deleteGroup(id ?? '');
        return ok(null);
      case 'POST groups/:id/members':
        admin.addMember(id ?? '', str('memberId'));
        return ok(null, 201);
      case 'DELETE groups/:id/members/:id':
        admin.removeMember(id ?? '', d ?? '');
        return ok(null);
      case 'POST assignments': {
        const pid = str('principalId');
        const role = typeof b.appRoleId === 'string' ? b.appRoleId : undefined;
        return ok(directory.assign(pid, role), 201);
      }
      case 'DELETE assignments/:id':
        directory.unassign(id ?? '');
        return ok(null);
      case 'GET faults':
        return ok(faults.list());
      case 'POST faults':
        return ok({ id: faults.injectJson(b) }, 201);
      case 'DELETE faults':
        faults.clear();
        return ok(null);
      case 'DELETE faults/:id':
        return faults.remove(Number(id)) ? ok(null) : ok({ error: 'no such fault' }, 404);
      case 'GET counters':
        return ok(counters);
      case 'DELETE counters':
      case 'POST counters/reset':
        counters = emptyCounters();
        return ok(null);
      case 'PUT config':
        configure(b);
        return ok(null);
      case 'POST keys/rotate':
        return ok({ kid: await rotateSigningKey({ keepPrevious: b.keepPrevious === true }) });
      case 'POST tokens':
        return ok({ token: await issueToken(b as unknown as IssueTokenOptions) });
      case 'GET authorize-requests':
        return ok(oidc.authorizeRequests);
      case 'GET info':
        return ok(info());
      default:
        throw new HttpError(404, `Unknown admin route ${method} ${path}`);
    }
  };

  // ---------- dispatch ----------

  const send = (res: ServerResponse, r: SimResponse, malformed: boolean): void => {
    let text: string;
    if (r.body === undefined) text = '';
    else if (typeof r.body === 'string') text = r.body;
    else text = JSON.stringify(r.body);
    if (malformed) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    res.writeHead(r.status, r.headers);
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', baseUrl);
    const path = url.pathname;
    if (path.startsWith('/_admin/')) {
      let r: SimResponse;
      try {
        const raw = await readBody(req);
        const body: unknown = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
        r = await adminHttp(method, path, body);
      } catch (err) {
        const status =
          err instanceof HttpError || err instanceof DirectoryError
            ? err.status
            : err instanceof SyntaxError
              ? 400
              : 400;
        r = {
          status,
          headers: { 'content-type': 'application/json' },
          body: { error: (err as Error).message },
        };
      }
      send(res, r, false);
      return;
    }

    counters.total += 1;
    const graph = path.startsWith('/v1.0/') || path === '/v1.0';
    const graphPath = graph ? path.slice('/v1.0'.length) || '/' : '';
    const oidcMatch = graph ? null : OIDC_ROUTE.exec(path);
    const routeKey = graph
      ? graphPath === '/$batch'
        ? `${method} /v1.0/$batch`
        : routeInfo(method, graphPath).key
      : oidcMatch
        ? `${method} /{tenantId}/${oidcMatch[2] ?? ''}`
        : `${method} ${path} (unknown)`;
    bump(counters.requestsByRoute, routeKey);

    const finish = (r: SimResponse, malformed = false): void => {
      record(r.status);
      options.onRequest?.(`${method} ${path}${url.search} -> ${r.status}`);
      send(res, r, malformed);
    };

    const raw = await readBody(req);
    const fault = faults.take(method, path + url.search, false);
    if (fault?.delayMs !== undefined) await sleep(fault.delayMs);
    if (fault?.dropConnection === true) {
      options.onRequest?.(`${method} ${path}${url.search} -> (connection dropped)`);
      req.socket.destroy();
      return;
    }
    if (fault) {
      const injected = faultResponse(fault, graph || !oidcMatch);
      if (injected) {
        finish(injected);
        return;
      }
    }
    const malformed = fault?.malformedBody === true;

    if (oidcMatch) {
      const [, tenant = '', endpoint = ''] = oidcMatch;
      if (!oidc.knowsTenant(tenant)) {
        finish(
          OidcProvider.tokenError(
            400,
            'invalid_tenant',
            90002,
            `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
          ),
          malformed,
        );
        return;
      }
      const form = new URLSearchParams(raw.toString('utf8'));
      switch (endpoint) {
        case 'v2.0/.well-known/openid-configuration':
          finish(oidc.discovery(), malformed);
          return;
        case 'discovery/v2.0/keys':
          finish(oidc.jwks(), malformed);
          return;
        case 'oauth2/v2.0/authorize':
          finish(oidc.authorize(method === 'POST' ? form : url.searchParams), malformed);
          return;
        case 'oauth2/v2.0/authorize/select':
          finish(oidc.select(url.searchParams), malformed);
          return;
        case 'oauth2/v2.0/authorize/cancel':
          finish(oidc.cancel(url.searchParams), malformed);
          return;
        case 'oauth2/v2.0/logout':
          finish(oidc.logout(url.searchParams), malformed);
          return;
        case 'oauth2/v2.0/token':
          if (method !== 'POST') {
            finish(
              OidcProvider.tokenError(
                405,
                'invalid_request',
                900561,
                'The endpoint only accepts POST requests.',
              ),
            );
            return;
          }
          finish(await oidc.token(form, req.headers.authorization), malformed);
          return;
      }
    }
    if (!graph) {
      finish(
        graphError(
          404,
          'Request_ResourceNotFound',
          `The simulated tenant has no resource at '${path}'.`,
          req.headers['client-request-id'] as string | undefined,
        ),
      );
      return;
    }

    // Graph: authenticate, then the request (or the batch).
    const clientRequestId =
      typeof req.headers['client-request-id'] === 'string'
        ? req.headers['client-request-id']
        : undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') !== true || auth.length <= 7) {
      const e = graphError(
        401,
        'InvalidAuthenticationToken',
        'Access token is empty.',
        clientRequestId,
      );
      e.headers['www-authenticate'] =
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
      finish(e);
      return;
    }
    let caller: { kind: 'app' | 'user'; oid: string };
    try {
      caller = await verifyGraphToken(tokenCtx, auth.slice(7).trim());
    } catch (err) {
      const e = graphError(
        401,
        'InvalidAuthenticationToken',
        (err as Error).message,
        clientRequestId,
      );
      e.headers['www-authenticate'] =
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="invalid_token"';
      finish(e);
      return;
    }
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        finish(
          graphError(
            400,
            'BadRequest',
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
            clientRequestId,
          ),
        );
        return;
      }
    }
    if (graphPath === '/$batch') {
      if (method !== 'POST') {
        finish(
          graphError(
            405,
            'Request_BadRequest',
            'Specified HTTP method is not allowed for the request uri.',
            clientRequestId,
          ),
        );
        return;
      }
      const r = await batch(body, caller);
      if (r === 'drop') {
        req.socket.destroy();
        return;
      }
      finish(r, malformed);
      return;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers))
      headers[k] = Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : undefined;
    finish(graphCall(method, graphPath, url.searchParams, headers, body, caller), malformed);
  };

  const server: Server = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        const status = err instanceof HttpError ? err.status : 500;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'InternalServerError', message: (err as Error).message },
          }),
        );
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://${host}:${port}`;

  const info = (): Record<string, unknown> => ({
    baseUrl,
    authorityHost: baseUrl,
    graphEndpoint: baseUrl,
    tenantId: directory.tenantId,
    clientId: directory.app.clientId,
    servicePrincipalId: directory.app.servicePrincipalId,
    appIdUri: `api://${directory.app.clientId}`,
    caPath: cert.caPath,
    pageSize,
    throttling: meter ? { limit: meter.limit, windowSeconds: meter.windowMs / 1000 } : false,
  });

  const env: Record<string, string> = {
    ENTRA_AUTHORITY_HOST: baseUrl,
    GRAPH_ENDPOINT: baseUrl,
    ENTRA_TENANT_ID: initial.tenantId,
    ENTRA_CLIENT_ID: initial.app.clientId,
    ENTRA_CLIENT_SECRET: initial.app.clientSecret,
    ENTRA_SERVICE_PRINCIPAL_ID: initial.app.servicePrincipalId,
  };
  if (cert.caPath !== undefined) env.NODE_EXTRA_CA_CERTS = trustBundle(cert.caPath);

  return {
    baseUrl,
    authorityHost: baseUrl,
    graphEndpoint: baseUrl,
    tenantId: initial.tenantId,
    clientId: initial.app.clientId,
    clientSecret: initial.app.clientSecret,
    appIdUri: `api://${initial.app.clientId}`,
    servicePrincipalId: initial.app.servicePrincipalId,
    caPath: cert.caPath,
    env,
    issueToken,
    rotateSigningKey,
    admin,
    faults: faultApi,
    counters: () => structuredClone(counters),
    resetCounters: () => {
      counters = emptyCounters();
    },
    configure,
    authorizeRequests: () => [...oidc.authorizeRequests],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
