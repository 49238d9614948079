/**
 * The simulated Entra tenant: OIDC (v2) and Microsoft Graph (v1.0) over HTTPS on loopback, with
 * an admin API, faults on demand, a resource-unit budget and counters. This file starts the
 * server and routes each request to its surface (routing/); see docs/simulated-tenant.md.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTenantAdmin } from './admin.js';
import { ensureDevCertificate, trustBundle } from './certificate.js';
import { loadTenantFile, parseTenantData, type ParsedTenantData } from './model.js';
import { OidcProvider } from './oidc.js';
import { answerAdmin, isAdminPath } from './routing/admin-routes.js';
import { delay, faultResponse, loopingPage } from './routing/fault-injection.js';
import { graphSurface, unknownPathSurface } from './routing/graph-routes.js';
import { HttpError, readBody, send } from './routing/http-io.js';
import { oidcSurface } from './routing/oidc-routes.js';
import type { SimResponse } from './sim-response.js';
import type {
  CertificateOption,
  SimulatedTenant,
  SimulatedTenantOptions,
  TenantFaults,
} from './simulated-tenant.js';
import { TenantState } from './state.js';
import { readStateFile, writeStateFile, writingThrough } from './state-file.js';
import { KeyRing, issueUserToken } from './tokens.js';

export type {
  CertificateOption,
  SimulatedTenant,
  SimulatedTenantOptions,
  TenantAdmin,
  TenantCounters,
  TenantFaults,
} from './simulated-tenant.js';

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

/** Starts the simulated tenant. */
export async function startSimulatedTenant(
  options: SimulatedTenantOptions,
): Promise<SimulatedTenant> {
  const seed: ParsedTenantData =
    typeof options.tenant === 'string'
      ? loadTenantFile(options.tenant)
      : parseTenantData(options.tenant);
  const { stateFile } = options;
  const initial = (stateFile === undefined ? undefined : readStateFile(stateFile)) ?? seed;
  const cert = resolveCertificate(options.certificate ?? (await ensureDevCertificate()));
  const state = new TenantState(seed, await KeyRing.create(), options, initial);
  const persist =
    stateFile === undefined
      ? undefined
      : () => {
          writeStateFile(stateFile, state.directory.snapshot());
        };
  persist?.();
  const oidc = new OidcProvider(state, { requirePkce: options.requirePkce ?? true });
  const routedAdmin = createTenantAdmin(state);
  const admin = persist === undefined ? routedAdmin : writingThrough(routedAdmin, persist);
  const host = options.host ?? '127.0.0.1';

  const info = (): Record<string, unknown> => ({
    baseUrl: state.baseUrl,
    authorityHost: state.baseUrl,
    graphEndpoint: state.baseUrl,
    tenantId: state.directory.tenantId,
    clientId: state.directory.app.clientId,
    servicePrincipalId: state.directory.app.servicePrincipalId,
    appIdUri: `api://${state.directory.app.clientId}`,
    caPath: cert.caPath,
    pageSize: state.pageSize,
    throttling: state.meter
      ? { limit: state.meter.limit, windowSeconds: state.meter.windowMs / 1000 }
      : false,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', state.baseUrl);
    const path = url.pathname;
    if (isAdminPath(path)) {
      const answer = await answerAdmin(
        { state, admin: routedAdmin, oidc, info },
        method,
        path,
        req,
      );
      if (method !== 'GET' && answer.status < 400) persist?.();
      send(res, answer, false);
      return;
    }

    state.counters.total += 1;
    const surface =
      oidcSurface(oidc, method, path) ??
      graphSurface(state, method, path) ??
      unknownPathSurface(method, path);
    state.countRoute(surface.routeKey);
    const line = `${method} ${path}${url.search}`;
    const finish = (r: SimResponse, malformed: boolean, cut = false): void => {
      state.countStatus(r.status);
      options.onRequest?.(
        `${line} -> ${r.status}${cut ? ' (connection dropped mid-response)' : ''}`,
      );
      send(res, r, malformed, cut);
    };

    const body = await readBody(req);
    const fault = state.faults.take(method, path + url.search, false);
    if (fault?.delayMs !== undefined) await delay(fault.delayMs);
    if (fault?.dropConnection === true) {
      options.onRequest?.(`${line} -> (connection dropped)`);
      req.socket.destroy();
      return;
    }
    const injected = fault ? faultResponse(fault, surface.faultShape) : undefined;
    if (injected) {
      finish(injected, false);
      return;
    }
    const answer = await surface.answer({ method, url, headers: req.headers, body });
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    finish(
      fault?.loopNextLink === true
        ? loopingPage(answer.response, `${state.baseUrl}${path}${url.search}`)
        : answer.response,
      answer.malformable && fault?.malformedBody === true,
      answer.cutMidResponse === true || fault?.dropMidResponse === true,
    );
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
  const baseUrl = `https://${host}:${port}`;
  state.baseUrl = baseUrl;

  const env: Record<string, string> = {
    ENTRA_AUTHORITY_HOST: baseUrl,
    GRAPH_ENDPOINT: baseUrl,
    ENTRA_TENANT_ID: initial.tenantId,
    ENTRA_CLIENT_ID: initial.app.clientId,
    ENTRA_CLIENT_SECRET: initial.app.clientSecret,
    ENTRA_SERVICE_PRINCIPAL_ID: initial.app.servicePrincipalId,
  };
  if (cert.caPath !== undefined) env.NODE_EXTRA_CA_CERTS = trustBundle(cert.caPath);

  const faults: TenantFaults = {
    inject: (f) => state.faults.inject(f),
    remove: (id) => state.faults.remove(id),
    clear: () => {
      state.faults.clear();
    },
    list: () => state.faults.list(),
  };

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
    issueToken: (opts) => issueUserToken(state, opts),
    rotateSigningKey: (opts) => state.keys.rotate(opts?.keepPrevious ?? false),
    admin,
    faults,
    counters: () => structuredClone(state.counters),
    resetCounters: () => {
      state.resetCounters();
    },
    configure: (opts) => {
      state.configure(opts);
    },
    authorizeRequests: () => [...oidc.authorizeRequests],
    stop: () =>
      new Promise<void>((resolve) => {
        state.feeds.stop();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
