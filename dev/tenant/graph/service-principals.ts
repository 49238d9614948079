/** The app's service principal and `appRoleAssignedTo`: who is assigned to the app, with which role. */
import { DirectoryError } from '../model.js';
import type { SimResponse } from '../sim-response.js';
import { pick, parseSelect } from './objects.js';
import { page } from './paging.js';
import { BadQuery, json } from './responses.js';
import { ID, type GraphContext, type GraphRequest, type Route } from './route.js';

/** The app's roles as Graph shows them on the application and on its service principal. */
export function appRolesOf(ctx: GraphContext): Record<string, unknown>[] {
  return ctx.directory.app.appRoles.map((r) => ({
    allowedMemberTypes: r.allowedMemberTypes,
    description: r.description ?? null,
    displayName: r.displayName,
    id: r.id,
    isEnabled: r.isEnabled,
    origin: 'Application',
    value: r.value ?? null,
  }));
}

function servicePrincipal(ctx: GraphContext): Record<string, unknown> {
  const app = ctx.directory.app;
  return {
    id: app.servicePrincipalId,
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: app.displayName,
    appId: app.clientId,
    appOwnerOrganizationId: ctx.directory.tenantId,
    appRoleAssignmentRequired: true,
    displayName: app.displayName,
    servicePrincipalNames: [app.clientId, `api://${app.clientId}`],
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMyOrg',
    tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
    appRoles: appRolesOf(ctx),
  };
}

function requireSp(ctx: GraphContext, idOrAppId: string, byAppId: boolean): void {
  const app = ctx.directory.app;
  if ((byAppId ? app.clientId : app.servicePrincipalId) !== idOrAppId.toLowerCase()) {
    throw new DirectoryError(
      404,
      'Request_ResourceNotFound',
      `Resource '${idOrAppId}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
}

function assignedTo(ctx: GraphContext, req: GraphRequest): SimResponse {
  const dir = ctx.directory;
  const select = parseSelect(req.query, 'appRoleAssignment');
  const rows = [...dir.assignments.values()].flatMap((a) => {
    const u = dir.users.get(a.principalId);
    const g = dir.groups.get(a.principalId);
    if (!u && !g) return [];
    const all: Record<string, unknown> = {
      id: a.id,
      deletedDateTime: null,
      appRoleId: a.appRoleId,
      createdDateTime: a.createdDateTime,
      principalDisplayName: u?.displayName ?? g?.displayName ?? '',
      principalId: a.principalId,
      principalType: u ? 'User' : 'Group',
      resourceDisplayName: dir.app.displayName,
      resourceId: dir.app.servicePrincipalId,
    };
    return [all];
  });
  return page(
    ctx,
    req,
    rows,
    (r) => (select ? pick(r, select, []) : r),
    `servicePrincipals('${dir.app.servicePrincipalId}')/appRoleAssignedTo`,
  );
}

export const servicePrincipalRoutes: Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^/servicePrincipals\\(appId='${ID}'\\)$`),
    template: "/servicePrincipals(appId='{appId}')",
    cost: 1,
    handler: (ctx, req, m) => {
      requireSp(ctx, m[1] ?? '', true);
      const select = parseSelect(req.query, 'servicePrincipal');
      return json(200, {
        '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#servicePrincipals/$entity`,
        ...pick(servicePrincipal(ctx), select, Object.keys(servicePrincipal(ctx))),
      });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/servicePrincipals\\(appId='${ID}'\\)/appRoleAssignedTo$`),
    template: "/servicePrincipals(appId='{appId}')/appRoleAssignedTo",
    cost: 1,
    handler: (ctx, req, m) => {
      requireSp(ctx, m[1] ?? '', true);
      return assignedTo(ctx, req);
    },
  },
  {
    method: 'GET',
    pattern: /^\/servicePrincipals$/,
    template: '/servicePrincipals',
    cost: 1,
    handler: (ctx, req) => {
      const filter = req.query.get('$filter');
      const sp = servicePrincipal(ctx);
      let rows = [sp];
      if (filter !== null) {
        const fm = /^\s*appId\s+eq\s+'([^']*)'\s*$/i.exec(filter);
        const im = /^\s*id\s+eq\s+'([^']*)'\s*$/i.exec(filter);
        if (fm) rows = fm[1]?.toLowerCase() === sp.appId ? [sp] : [];
        else if (im) rows = im[1]?.toLowerCase() === sp.id ? [sp] : [];
        else
          throw new BadQuery(
            'Request_UnsupportedQuery',
            `Unsupported query: the simulated tenant filters servicePrincipals by "appId eq '...'" or "id eq '...'" only.`,
          );
      }
      const select = parseSelect(req.query, 'servicePrincipal');
      return page(ctx, req, rows, (r) => pick(r, select, Object.keys(r)), 'servicePrincipals');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/servicePrincipals/${ID}$`),
    template: '/servicePrincipals/{id}',
    cost: 1,
    handler: (ctx, req, m) => {
      requireSp(ctx, m[1] ?? '', false);
      const select = parseSelect(req.query, 'servicePrincipal');
      return json(200, {
        '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#servicePrincipals/$entity`,
        ...pick(servicePrincipal(ctx), select, Object.keys(servicePrincipal(ctx))),
      });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/servicePrincipals/${ID}/appRoleAssignedTo$`),
    template: '/servicePrincipals/{id}/appRoleAssignedTo',
    cost: 1,
    handler: (ctx, req, m) => {
      requireSp(ctx, m[1] ?? '', false);
      return assignedTo(ctx, req);
    },
  },
];
