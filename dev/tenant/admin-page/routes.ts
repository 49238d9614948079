/**
 * The admin page's routes: `GET /_admin/` (the page), `GET /_admin/admin.css`, and
 * `POST /_admin/page/{action}` for its forms, each answered with a redirect back to the page
 * saying what happened. Forms from another site are refused: the admin API has no sign-in, so
 * the browser's Origin (or Sec-Fetch-Site) is what tells a click on this page from a page
 * elsewhere posting to loopback.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { adminFailure, newGroupInput } from '../admin-input.js';
import type { TenantGroupInput } from '../model.js';
import type { SimResponse } from '../sim-response.js';
import type { TenantAdmin } from '../simulated-tenant.js';
import type { TenantState } from '../state.js';
import { isCrossSite } from '../routing/admin-guard.js';
import { renderAdminPage, type PageNotice } from './page.js';
import { ADMIN_PAGE_CSS } from './styles.js';

const PAGE_PATH = '/_admin/';
const FORM_PREFIX = '/_admin/page/';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it, browsers send `Origin: null` on the page's own form posts.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function isAdminPagePath(path: string): boolean {
  return path === PAGE_PATH || path === '/_admin/admin.css' || path.startsWith(FORM_PREFIX);
}

function backToPage(notice: PageNotice): SimResponse {
  const query = new URLSearchParams({ [notice.kind]: notice.text });
  return { status: 303, headers: { location: `${PAGE_PATH}?${query.toString()}` }, body: '' };
}

function runAction(admin: TenantAdmin, action: string, form: URLSearchParams): string {
  const field = (name: string) => {
    const value = form.get(name)?.trim() ?? '';
    if (value === '') throw new Error(`${name} is required`);
    return value;
  };
  const groupName = (id: string) =>
    admin.getState().groups.find((group) => group.id === id)?.displayName ?? id;
  switch (action) {
    case 'create-group': {
      const input = newGroupInput({ displayName: field('name') }) as TenantGroupInput;
      const group = admin.addGroup(input);
      return `Created group "${group.displayName}" (${group.id}).`;
    }
    case 'assign':
      admin.assignGroup(field('group'));
      return `Assigned "${groupName(field('group'))}" to the app.`;
    case 'unassign':
      admin.unassignGroup(field('group'));
      return `Unassigned "${groupName(field('group'))}" from the app.`;
    case 'add-member':
      admin.addMember(field('group'), field('member'));
      return `Added a member to "${groupName(field('group'))}".`;
    case 'remove-member':
      admin.removeMember(field('group'), field('member'));
      return `Removed a member from "${groupName(field('group'))}".`;
    case 'rename-group': {
      const before = groupName(field('group'));
      admin.renameGroup(field('group'), field('name'));
      return `Renamed "${before}" to "${field('name')}".`;
    }
    default:
      throw new Error(`There is no admin page action "${action}".`);
  }
}

export function answerAdminPage(
  state: TenantState,
  admin: TenantAdmin,
  request: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer },
  query: URLSearchParams,
): SimResponse {
  const { method, path } = request;
  if (method === 'GET' && path === '/_admin/admin.css') {
    return {
      status: 200,
      headers: { 'content-type': 'text/css; charset=utf-8', ...SECURITY_HEADERS },
      body: ADMIN_PAGE_CSS,
    };
  }
  if (method === 'GET' && path === PAGE_PATH) {
    const error = query.get('error');
    const ok = query.get('ok');
    const notice: PageNotice | undefined =
      error !== null
        ? { kind: 'error', text: error }
        : ok !== null
          ? { kind: 'ok', text: ok }
          : undefined;
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS },
      body: renderAdminPage(state.directory, notice),
    };
  }
  if (method !== 'POST' || !path.startsWith(FORM_PREFIX)) {
    return {
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'GET, POST' },
      body: { error: 'method_not_allowed', message: `${method} ${path} is not served.` },
    };
  }
  if (isCrossSite(request.headers, state.baseUrl)) {
    return {
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: { error: 'forbidden', message: 'Admin page forms are accepted from this page only.' },
    };
  }
  const form = new URLSearchParams(request.body.toString('utf8'));
  try {
    return backToPage({
      kind: 'ok',
      text: runAction(admin, path.slice(FORM_PREFIX.length), form),
    });
  } catch (err) {
    return backToPage({ kind: 'error', text: adminFailure(err).message });
  }
}
