/** The app registration (`/applications`): where the app roles are defined. */
import { createHash } from 'node:crypto';
import { DirectoryError } from '../model.js';
import { pick, parseSelect } from './objects.js';
import { page } from './paging.js';
import { BadQuery, json } from './responses.js';
import { ID, type GraphContext, type Route } from './route.js';
import { appRolesOf } from './service-principals.js';

/** The registration's object id: configured, or a stable GUID made from the client id. */
function objectIdOf(ctx: GraphContext): string {
  const app = ctx.directory.app;
  if (app.applicationObjectId !== undefined) return app.applicationObjectId;
  const hex = createHash('sha256').update(`application:${app.clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function application(ctx: GraphContext): Record<string, unknown> {
  const app = ctx.directory.app;
  return {
    id: objectIdOf(ctx),
    deletedDateTime: null,
    appId: app.clientId,
    displayName: app.displayName,
    identifierUris: [`api://${app.clientId}`],
    signInAudience: 'AzureADMyOrg',
    groupMembershipClaims: app.groupMembershipClaims,
    appRoles: appRolesOf(ctx),
    web: { redirectUris: app.redirectUris },
  };
}

function notFound(idOrAppId: string): DirectoryError {
  return new DirectoryError(
    404,
    'Request_ResourceNotFound',
    `Resource '${idOrAppId}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function single(ctx: GraphContext, query: URLSearchParams): Record<string, unknown> {
  const all = application(ctx);
  return {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#applications/$entity`,
    ...pick(all, parseSelect(query, 'application'), Object.keys(all)),
  };
}

export const applicationRoutes: Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^/applications\\(appId='${ID}'\\)$`),
    template: "/applications(appId='{appId}')",
    cost: 1,
    handler: (ctx, req, m) => {
      if ((m[1] ?? '').toLowerCase() !== ctx.directory.app.clientId) throw notFound(m[1] ?? '');
      return json(200, single(ctx, req.query));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/applications/${ID}$`),
    template: '/applications/{id}',
    cost: 1,
    handler: (ctx, req, m) => {
      const id = (m[1] ?? '').toLowerCase();
      if (id !== objectIdOf(ctx)) throw notFound(m[1] ?? '');
      return json(200, single(ctx, req.query));
    },
  },
  {
    method: 'GET',
    pattern: /^\/applications$/,
    template: '/applications',
    cost: 1,
    handler: (ctx, req) => {
      const filter = req.query.get('$filter');
      const app = application(ctx);
      let rows = [app];
      if (filter !== null) {
        const byAppId = /^\s*appId\s+eq\s+'([^']*)'\s*$/i.exec(filter);
        if (!byAppId) {
          throw new BadQuery(
            'Request_UnsupportedQuery',
            `Unsupported query: the simulated tenant filters applications by "appId eq '...'" only.`,
          );
        }
        rows = byAppId[1]?.toLowerCase() === app.appId ? [app] : [];
      }
      const select = parseSelect(req.query, 'application');
      return page(ctx, req, rows, (r) => pick(r, select, Object.keys(r)), 'applications');
    },
  },
];
