/**
 * The part of Microsoft Graph v1.0 this service uses, answered from the in-memory directory.
 * One function, `handleGraph`, serves both top-level requests and `$batch` sub-requests.
 */
import { randomUUID } from 'node:crypto';
import { DirectoryError, type Directory, type GroupObject, type UserObject } from './model.js';

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  /** A JSON value, or a string sent as is (text/plain). */
  body?: unknown;
}

export interface GraphRequest {
  method: string;
  /** Path below `/v1.0`, starting with `/`, without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  /** Who called (from the bearer token). */
  callerOid: string;
  callerKind: 'app' | 'user';
}

export interface GraphContext {
  directory: Directory;
  graphEndpoint: string;
  pageSize: number;
}

export const MAX_TOP = 999;
export const MAX_BATCH = 20;

/** Graph's error body. */
export function graphError(
  status: number,
  code: string,
  message: string,
  clientRequestId?: string,
): SimResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'request-id': requestId,
      'client-request-id': clientRequestId ?? requestId,
    },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': clientRequestId ?? requestId,
        },
      },
    },
  };
}

class BadQuery extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

// ---------- object shapes ----------

const USER_DEFAULT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

function userProps(u: UserObject): Record<string, unknown> {
  return {
    id: u.id,
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
    createdDateTime: u.createdDateTime,
    deletedDateTime: null,
    mailNickname: u.userPrincipalName.split('@')[0] ?? u.userPrincipalName,
    otherMails: [],
    proxyAddresses: u.mail ? [`SMTP:${u.mail}`] : [],
    userType: 'Member',
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    employeeId: null,
    department: null,
    companyName: null,
  };
}

const GROUP_DEFAULT = [
  'id',
  'deletedDateTime',
  'classification',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'visibility',
] as const;

function groupProps(g: GroupObject): Record<string, unknown> {
  return {
    id: g.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: g.createdDateTime,
    description: g.description,
    displayName: g.displayName,
    groupTypes: g.groupTypes,
    mail: g.mail,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname,
    securityEnabled: g.securityEnabled,
    visibility: g.groupTypes.includes('Unified') ? 'Private' : null,
    membershipRule: null,
    onPremisesSyncEnabled: null,
    proxyAddresses: g.mail ? [`SMTP:${g.mail}`] : [],
    renewedDateTime: g.createdDateTime,
    securityIdentifier: `S-1-12-1-${parseInt(g.id.slice(0, 8), 16)}`,
  };
}

const USER_PROPS = new Set(
  Object.keys(
    userProps({
      id: '',
      displayName: '',
      userPrincipalName: '',
      mail: null,
      givenName: null,
      surname: null,
      jobTitle: null,
      accountEnabled: true,
      createdDateTime: '',
    }),
  ),
);
const GROUP_PROPS = new Set(
  Object.keys(
    groupProps({
      id: '00000000',
      displayName: '',
      description: null,
      securityEnabled: true,
      mailEnabled: false,
      groupTypes: [],
      mail: null,
      mailNickname: '',
      createdDateTime: '',
      members: new Set(),
    }),
  ),
);

type Shape = 'user' | 'group' | 'directoryObject' | 'servicePrincipal' | 'appRoleAssignment';

function parseSelect(query: URLSearchParams, shape: Shape): string[] | undefined {
  const raw = query.get('$select');
  if (raw === null) return undefined;
  const props = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (props.length === 0)
    throw new BadQuery('BadRequest', 'Invalid $select: the value must name at least one property.');
  for (const p of props) {
    const known =
      shape === 'user'
        ? USER_PROPS.has(p)
        : shape === 'group'
          ? GROUP_PROPS.has(p)
          : shape === 'directoryObject'
            ? USER_PROPS.has(p) || GROUP_PROPS.has(p)
            : true;
    if (!known) {
      throw new BadQuery(
        'BadRequest',
        `Could not find a property named '${p}' on type 'microsoft.graph.${shape}'.`,
      );
    }
  }
  return props;
}

function pick(
  all: Record<string, unknown>,
  select: readonly string[] | undefined,
  defaults: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select ?? defaults) if (p in all) out[p] = all[p];
  return out;
}

function renderUser(
  u: UserObject,
  select: string[] | undefined,
  withType: boolean,
): Record<string, unknown> {
  const body = pick(userProps(u), select, USER_DEFAULT);
  return withType ? { '@odata.type': '#microsoft.graph.user', ...body } : body;
}

function renderGroup(
  g: GroupObject,
  select: string[] | undefined,
  withType: boolean,
): Record<string, unknown> {
  const body = pick(groupProps(g), select, GROUP_DEFAULT);
  return withType ? { '@odata.type': '#microsoft.graph.group', ...body } : body;
}

// ---------- paging ----------

const SKIP_PREFIX = 'RFNwdAIA';

export function encodeSkipToken(state: Record<string, number>): string {
  return SKIP_PREFIX + Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeSkipToken(token: string): Record<string, number> {
  const bad = new BadQuery(
    'Directory_ExpiredPageToken',
    'The specified page token value has expired and can no longer be included in your request.',
  );
  if (!token.startsWith(SKIP_PREFIX)) throw bad;
  try {
    const v = JSON.parse(
      Buffer.from(token.slice(SKIP_PREFIX.length), 'base64url').toString('utf8'),
    ) as unknown;
    if (typeof v !== 'object' || v === null) throw bad;
    const state = v as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(state)) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad;
      out[k] = n;
    }
    return out;
  } catch {
    throw bad;
  }
}

function pageSizeOf(ctx: GraphContext, query: URLSearchParams): number {
  const top = query.get('$top');
  if (top === null) return ctx.pageSize;
  const n = Number(top);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) {
    throw new BadQuery(
      'Request_UnsupportedQuery',
      `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_TOP} inclusive.`,
    );
  }
  return n;
}

/** Builds an absolute next link like Graph's: same path and query, plus an opaque $skiptoken. */
function nextLink(ctx: GraphContext, path: string, query: URLSearchParams, token: string): string {
  const parts: string[] = [];
  for (const [k, v] of query) {
    if (k === '$skiptoken' || k === '$deltatoken') continue;
    parts.push(`${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  }
  parts.push(`$skiptoken=${token}`);
  return `${ctx.graphEndpoint}/v1.0${path}?${parts.join('&')}`;
}

function page<T>(
  ctx: GraphContext,
  req: GraphRequest,
  items: T[],
  render: (item: T) => Record<string, unknown>,
  context: string,
): SimResponse {
  const size = pageSizeOf(ctx, req.query);
  const skip = req.query.get('$skiptoken');
  const offset = skip === null ? 0 : (decodeSkipToken(skip).o ?? 0);
  const slice = items.slice(offset, offset + size);
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#${context}`,
  };
  if (offset + size < items.length)
    body['@odata.nextLink'] = nextLink(
      ctx,
      req.path,
      req.query,
      encodeSkipToken({ o: offset + size }),
    );
  body.value = slice.map(render);
  return json(200, body);
}

function json(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    },
    body,
  };
}

// ---------- routes ----------

export interface RouteInfo {
  /** Normalised route, e.g. `GET /v1.0/groups/{id}/transitiveMembers`. */
  key: string;
  /** Base resource-unit cost before query adjustments (Graph's identity and access table). */
  baseCost: number;
}

interface Route {
  method: string;
  pattern: RegExp;
  template: string;
  cost: number;
  handler: (ctx: GraphContext, req: GraphRequest, m: RegExpExecArray) => SimResponse;
}

const ID = "([^/()']+)";
const CAST_USER = '/microsoft.graph.user';
const CAST_GROUP = '/microsoft.graph.group';

function directoryObjects(
  ctx: GraphContext,
  req: GraphRequest,
  ids: string[],
  cast: 'user' | 'group' | undefined,
  context: string,
): SimResponse {
  const dir = ctx.directory;
  const select = parseSelect(req.query, cast ?? 'directoryObject');
  const objects: (UserObject | GroupObject)[] = [];
  for (const id of ids) {
    const u = dir.users.get(id);
    if (u) {
      if (cast !== 'group') objects.push(u);
      continue;
    }
    const g = dir.groups.get(id);
    if (g && cast !== 'user') objects.push(g);
  }
  const typed = cast === undefined;
  return page(
    ctx,
    req,
    objects,
    (o) =>
      'userPrincipalName' in o ? renderUser(o, select, typed) : renderGroup(o, select, typed),
    context,
  );
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
    appRoles: app.appRoles.map((r) => ({ ...r, isEnabled: true, origin: 'Application' })),
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

function bodyObject(req: GraphRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw new BadQuery('Request_BadRequest', 'The request body must be a JSON object.');
  }
  return req.body as Record<string, unknown>;
}

function memberGroups(ctx: GraphContext, req: GraphRequest, userId: string): SimResponse {
  const dir = ctx.directory;
  const user = dir.requireUser(userId);
  const body = bodyObject(req);
  if (typeof body.securityEnabledOnly !== 'boolean') {
    throw new BadQuery(
      'Request_BadRequest',
      "Invalid request: the parameter 'securityEnabledOnly' is required and must be a boolean.",
    );
  }
  const only = body.securityEnabledOnly;
  const ids = dir
    .transitiveParents(user.id)
    .filter((g) => !only || dir.groups.get(g)?.securityEnabled === true);
  return json(200, {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#Collection(Edm.String)`,
    value: ids,
  });
}

function checkMemberGroups(ctx: GraphContext, req: GraphRequest, userId: string): SimResponse {
  const dir = ctx.directory;
  const user = dir.requireUser(userId);
  const body = bodyObject(req);
  const ids = body.groupIds;
  if (!Array.isArray(ids) || !ids.every((x): x is string => typeof x === 'string')) {
    throw new BadQuery(
      'Request_BadRequest',
      "Invalid request: the parameter 'groupIds' is required and must be an array of strings.",
    );
  }
  if (ids.length > 20)
    throw new BadQuery('Request_BadRequest', 'The number of groupIds cannot exceed 20.');
  const mine = new Set(dir.transitiveParents(user.id));
  return json(200, {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#Collection(Edm.String)`,
    value: ids.filter((id) => mine.has(id.toLowerCase())),
  });
}

function countOf(req: GraphRequest, n: number): SimResponse {
  if ((req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual') {
    throw new BadQuery(
      'Request_BadRequest',
      'Count is not currently supported without the ConsistencyLevel: eventual header.',
    );
  }
  return { status: 200, headers: { 'content-type': 'text/plain;charset=utf-8' }, body: String(n) };
}

function meId(req: GraphRequest, id: string): string {
  if (id.toLowerCase() !== 'me') return decodeURIComponent(id);
  if (req.callerKind !== 'user') {
    throw new BadQuery(
      'BadRequest',
      '/me request is only valid with delegated authentication flow.',
    );
  }
  return req.callerOid;
}

function groupsDelta(ctx: GraphContext, req: GraphRequest): SimResponse {
  const dir = ctx.directory;
  const rawSelect = req.query.get('$select');
  const selected = rawSelect?.split(',').map((p) => p.trim());
  const withMembers = selected?.includes('members') === true;
  const others = selected?.filter((p) => p !== 'members' && p.length > 0);
  const fields =
    others === undefined
      ? undefined
      : parseSelect(
          new URLSearchParams({ $select: others.length > 0 ? others.join(',') : 'id' }),
          'group',
        );
  const skip = req.query.get('$skiptoken');
  const delta = req.query.get('$deltatoken');
  let from = 0;
  let to = dir.version;
  let offset = 0;
  if (skip !== null) {
    const s = decodeSkipToken(skip);
    from = s.f ?? 0;
    to = s.t ?? dir.version;
    offset = s.o ?? 0;
  } else if (delta !== null) {
    from = decodeSkipToken(delta).v ?? 0;
  }
  type Row = Record<string, unknown>;
  const rows: Row[] = [];
  if (from === 0) {
    for (const g of dir.groups.values()) {
      const row = renderGroup(g, fields, false);
      if (withMembers)
        row['members@delta'] = [...g.members].map((m) => ({
          '@odata.type': dir.isUser(m) ? '#microsoft.graph.user' : '#microsoft.graph.group',
          id: m,
        }));
      rows.push(row);
    }
  } else {
    const touched = new Map<string, Map<string, boolean>>();
    const deleted = new Set<string>();
    for (const c of dir.changes) {
      if (c.seq <= from || c.seq > to) continue;
      let m = touched.get(c.groupId);
      if (!m) {
        m = new Map();
        touched.set(c.groupId, m);
      }
      if (c.kind === 'deleted') deleted.add(c.groupId);
      if (c.memberId !== undefined) m.set(c.memberId, c.kind === 'memberAdded');
    }
    for (const [gid, members] of touched) {
      const g = dir.groups.get(gid);
      if (!g || deleted.has(gid)) {
        rows.push({ id: gid, '@removed': { reason: 'changed' } });
        continue;
      }
      const row = renderGroup(g, fields, false);
      if (withMembers && members.size > 0) {
        row['members@delta'] = [...members].map(([m, added]) =>
          added
            ? {
                '@odata.type': dir.isUser(m) ? '#microsoft.graph.user' : '#microsoft.graph.group',
                id: m,
              }
            : {
                '@odata.type': '#microsoft.graph.directoryObject',
                id: m,
                '@removed': { reason: 'deleted' },
              },
        );
      }
      rows.push(row);
    }
  }
  const size = pageSizeOf(ctx, req.query);
  const slice = rows.slice(offset, offset + size);
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#groups`,
    value: slice,
  };
  if (offset + size < rows.length) {
    body['@odata.nextLink'] = nextLink(
      ctx,
      req.path,
      req.query,
      encodeSkipToken({ f: from, t: to, o: offset + size }),
    );
  } else {
    const q = new URLSearchParams();
    const sel = req.query.get('$select');
    if (sel !== null) q.set('$select', sel);
    const base = `${ctx.graphEndpoint}/v1.0/groups/delta?`;
    body['@odata.deltaLink'] =
      `${base}${sel !== null ? `$select=${sel}&` : ''}$deltatoken=${encodeSkipToken({ v: to })}`;
  }
  return json(200, body);
}

const ROUTES: Route[] = [
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
  {
    method: 'GET',
    pattern: /^\/groups\/delta$/,
    template: '/groups/delta',
    cost: 1,
    handler: groupsDelta,
  },
  {
    method: 'GET',
    pattern: /^\/groups$/,
    template: '/groups',
    cost: 1,
    handler: (ctx, req) => {
      const select = parseSelect(req.query, 'group');
      return page(
        ctx,
        req,
        [...ctx.directory.groups.values()],
        (g) => renderGroup(g, select, false),
        'groups',
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/groups/${ID}$`),
    template: '/groups/{id}',
    cost: 1,
    handler: (ctx, req, m) => {
      const g = ctx.directory.requireGroup((m[1] ?? '').toLowerCase());
      const select = parseSelect(req.query, 'group');
      return json(200, {
        '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#groups/$entity`,
        ...renderGroup(g, select, false),
      });
    },
  },
  ...(['members', 'transitiveMembers'] as const).flatMap((rel): Route[] => {
    const cost = rel === 'members' ? 3 : 5;
    const ids = (ctx: GraphContext, id: string): string[] => {
      const g = ctx.directory.requireGroup(id.toLowerCase());
      return rel === 'members' ? [...g.members] : ctx.directory.transitiveMembers(g.id);
    };
    return [
      { cast: undefined, suffix: '' },
      { cast: 'user' as const, suffix: CAST_USER },
      { cast: 'group' as const, suffix: CAST_GROUP },
    ].flatMap(({ cast, suffix }): Route[] => [
      {
        method: 'GET',
        pattern: new RegExp(`^/groups/${ID}/${rel}${suffix.replace(/\./g, '\\.')}$`),
        template: `/groups/{id}/${rel}${suffix}`,
        cost,
        handler: (ctx, req, m) =>
          directoryObjects(
            ctx,
            req,
            ids(ctx, m[1] ?? ''),
            cast,
            cast === undefined ? 'directoryObjects' : `${cast}s`,
          ),
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/groups/${ID}/${rel}${suffix.replace(/\./g, '\\.')}/\\$count$`),
        template: `/groups/{id}/${rel}${suffix}/$count`,
        cost,
        handler: (ctx, req, m) => {
          const all = ids(ctx, m[1] ?? '');
          const n =
            cast === undefined
              ? all.length
              : all.filter((x) => ctx.directory.isUser(x) === (cast === 'user')).length;
          return countOf(req, n);
        },
      },
    ]);
  }),
  {
    method: 'GET',
    pattern: /^\/users$/,
    template: '/users',
    cost: 2,
    handler: (ctx, req) => {
      const select = parseSelect(req.query, 'user');
      return page(
        ctx,
        req,
        [...ctx.directory.users.values()],
        (u) => renderUser(u, select, false),
        'users',
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/(?:users/${ID}|(me))$`),
    template: '/users/{id}',
    cost: 1,
    handler: (ctx, req, m) => {
      const u = ctx.directory.requireUser(meId(req, m[1] ?? m[2] ?? ''));
      const select = parseSelect(req.query, 'user');
      return json(200, {
        '@odata.context': `${ctx.graphEndpoint}/v1.0/$metadata#users/$entity`,
        ...renderUser(u, select, false),
      });
    },
  },
  ...(['memberOf', 'transitiveMemberOf'] as const).flatMap((rel): Route[] =>
    [
      { cast: undefined, suffix: '' },
      { cast: 'group' as const, suffix: CAST_GROUP },
    ].map(({ cast, suffix }): Route => ({
      method: 'GET',
      pattern: new RegExp(`^/(?:users/${ID}|(me))/${rel}${suffix.replace(/\./g, '\\.')}$`),
      template: `/users/{id}/${rel}${suffix}`,
      cost: 2,
      handler: (ctx, req, m) => {
        const u = ctx.directory.requireUser(meId(req, m[1] ?? m[2] ?? ''));
        const groups =
          rel === 'memberOf'
            ? ctx.directory.directParents(u.id)
            : ctx.directory.transitiveParents(u.id);
        return directoryObjects(
          ctx,
          req,
          groups,
          cast,
          cast === undefined ? 'directoryObjects' : 'groups',
        );
      },
    })),
  ),
  ...(['getMemberGroups', 'getMemberObjects', 'checkMemberGroups'] as const).map((fn): Route => ({
    method: 'POST',
    pattern: new RegExp(`^/(?:users/${ID}|(me))/${fn}$`),
    template: `/users/{id}/${fn}`,
    cost: fn === 'checkMemberGroups' ? 4 : 2,
    handler: (ctx, req, m) => {
      const id = meId(req, m[1] ?? m[2] ?? '');
      return fn === 'checkMemberGroups'
        ? checkMemberGroups(ctx, req, id)
        : memberGroups(ctx, req, id);
    },
  })),
];

const KNOWN_QUERY = new Set(['$select', '$top', '$skiptoken', '$filter', '$count', '$deltatoken']);

/** Finds the route for a method and path (below /v1.0); undefined when Graph would answer 404/405. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; match: RegExpExecArray } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, match: m };
  }
  return undefined;
}

/** The normalised route key and base cost for counters and the throttling budget. */
export function routeInfo(method: string, path: string): RouteInfo {
  const found = matchRoute(method, path);
  if (found) return { key: `${method} /v1.0${found.route.template}`, baseCost: found.route.cost };
  const norm = path.replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi,
    '{id}',
  );
  return { key: `${method} /v1.0${norm} (unknown)`, baseCost: 1 };
}

/** Resource units a request costs, following Graph's documented identity and access rules. */
export function resourceUnits(baseCost: number, query: URLSearchParams): number {
  let cost = baseCost;
  if (query.has('$select')) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

/** Answers one Graph request (top-level or inside `$batch`). Never throws. */
export function handleGraph(ctx: GraphContext, req: GraphRequest): SimResponse {
  const clientRequestId = req.headers['client-request-id'];
  try {
    for (const k of req.query.keys()) {
      if (k.startsWith('$') && !KNOWN_QUERY.has(k)) {
        throw new BadQuery(
          'BadRequest',
          `Query option '${k}' is not supported by the simulated tenant.`,
        );
      }
    }
    const found = matchRoute(req.method, req.path);
    if (!found) {
      const other = ROUTES.some((r) => r.pattern.test(req.path));
      if (other)
        return graphError(
          405,
          'Request_BadRequest',
          'Specified HTTP method is not allowed for the request uri.',
          clientRequestId,
        );
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource not found for the segment '${req.path.split('/')[1] ?? ''}'.`,
        clientRequestId,
      );
    }
    const res = found.route.handler(ctx, req, found.match);
    res.headers['request-id'] ??= randomUUID();
    if (clientRequestId !== undefined) res.headers['client-request-id'] = clientRequestId;
    return res;
  } catch (err) {
    if (err instanceof DirectoryError || err instanceof BadQuery) {
      return graphError(err.status, err.code, err.message, clientRequestId);
    }
    return graphError(500, 'InternalServerError', (err as Error).message, clientRequestId);
  }
}
