/**
 * The admin API over HTTP (`/_admin/...`, JSON, no auth: it is on loopback), for another process
 * such as the tenant CLI or a test. Not counted and never faulted. admin-guard.ts keeps web pages
 * in the developer's browser out of it.
 */
import type { IncomingMessage } from 'node:http';
import { adminFailure, newGroupInput, newUserInput, requiredString } from '../admin-input.js';
import { answerAdminPage, isAdminPagePath } from '../admin-page/routes.js';
import type { TenantGroupInput, TenantUserInput } from '../model.js';
import type { SimResponse } from '../sim-response.js';
import type { OidcProvider } from '../oidc.js';
import type { TenantAdmin } from '../simulated-tenant.js';
import type { TenantState } from '../state.js';
import { issueUserToken, type IssueTokenOptions } from '../tokens.js';
import { adminBodyRefusal, adminHeaderRefusal } from './admin-guard.js';
import { routeFeedAdmin } from './feed-admin-routes.js';
import { HttpError, readBody } from './http-io.js';

export function isAdminPath(path: string): boolean {
  return path.startsWith('/_admin/');
}

export interface AdminRouteDeps {
  state: TenantState;
  admin: TenantAdmin;
  oidc: OidcProvider;
  info: () => Record<string, unknown>;
}

/** `appRole` (an app role's value or id) or the older `appRoleId`; absent: "Default Access". */
function appRoleOf(body: Record<string, unknown>): string | undefined {
  const role = body.appRole ?? body.appRoleId;
  if (role === undefined) return undefined;
  if (typeof role !== 'string') throw new HttpError(400, 'body.appRole must be a string');
  return role;
}

async function routeAdmin(
  deps: AdminRouteDeps,
  method: string,
  path: string,
  body: unknown,
): Promise<SimResponse> {
  const { state, admin, oidc, info } = deps;
  const ok = (value: unknown, status = 200): SimResponse => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: value ?? { ok: true },
  });
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
    throw new HttpError(400, 'The body must be a JSON object.');
  const b = (body ?? {}) as Record<string, unknown>;
  const str = (k: string): string => requiredString(b, k);
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
      return ok(
        admin.addUser(newUserInput(b, state.directory.domain) as unknown as TenantUserInput),
        201,
      );
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
      const g = admin.addGroup(newGroupInput(b) as unknown as TenantGroupInput);
      return ok({ ...g, members: [...g.members] }, 201);
    }
    case 'PATCH groups/:id':
      admin.renameGroup(id ?? '', str('displayName'));
      return ok(null);
    case 'DELETE groups/:id':
      admin.deleteGroup(id ?? '', { permanent: b.permanent === true });
      return ok(null);
    case 'POST groups/:id/members':
      admin.addMember(id ?? '', str('memberId'));
      return ok(null, 201);
    case 'DELETE groups/:id/members/:id':
      admin.removeMember(id ?? '', d ?? '');
      return ok(null);
    case 'POST assignments':
      return ok(state.directory.assign(str('principalId'), appRoleOf(b)), 201);
    case 'DELETE assignments/:id':
      state.directory.unassign(id ?? '', appRoleOf(b));
      return ok(null);
    case 'GET faults':
      return ok(state.faults.list());
    case 'POST faults':
      return ok({ id: state.faults.injectJson(b) }, 201);
    case 'DELETE faults':
      state.faults.clear();
      return ok(null);
    case 'DELETE faults/:id':
      return state.faults.remove(Number(id))
        ? ok(null)
        : ok({ error: 'not_found', message: `No fault ${id ?? ''}.` }, 404);
    case 'GET counters':
      return ok(state.counters);
    case 'DELETE counters':
    case 'POST counters/reset':
      state.resetCounters();
      return ok(null);
    case 'PUT config':
      state.configure(b);
      return ok(null);
    case 'POST keys/rotate':
      return ok({ kid: await state.keys.rotate(b.keepPrevious === true) });
    case 'POST tokens':
      return ok({ token: await issueUserToken(state, b as unknown as IssueTokenOptions) });
    case 'GET authorize-requests':
      return ok(oidc.authorizeRequests);
    case 'GET info':
      return ok(info());
    default: {
      const feedAnswer = await routeFeedAdmin(admin, method, seg.slice(1), b);
      if (feedAnswer) return feedAnswer;
      throw new HttpError(404, `Unknown admin route ${method} ${path}`);
    }
  }
}

/**
 * Answers an admin request (the page's routes included); errors come back as
 * `{ error, message }`: a code and one line in words, with their status.
 */
export async function answerAdmin(
  deps: AdminRouteDeps,
  method: string,
  path: string,
  req: IncomingMessage,
): Promise<SimResponse> {
  try {
    const page = isAdminPagePath(path);
    const refused = adminHeaderRefusal(method, req.headers, deps.state.baseUrl, {
      jsonRoute: !page,
    });
    if (refused !== undefined) return refused;
    const raw = await readBody(req);
    if (page) {
      const query = new URL(req.url ?? '/', 'https://admin.invalid').searchParams;
      const request = { method, path, headers: req.headers, body: raw };
      return answerAdminPage(deps.state, deps.admin, request, query);
    }
    const wrongBody = adminBodyRefusal(method, req.headers, raw);
    if (wrongBody !== undefined) return wrongBody;
    const body: unknown = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    return await routeAdmin(deps, method, path, body);
  } catch (err) {
    const { status, error, message } = adminFailure(err);
    return { status, headers: { 'content-type': 'application/json' }, body: { error, message } };
  }
}
