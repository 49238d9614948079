/**
 * A sign-in (the token's `roles` claim) and a full pass (the app's assignments and direct
 * membership) agree on every user's role, so neither flips it back: sign-in, full pass,
 * sign-in, full pass leaves each role as it was and the second pass writes nothing. The
 * cases: a direct assignment, a group's role, a member of a group nested in an admin group
 * (no role from it, as in Entra), an operator's choice, and a demotion.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncMe } from '../../functions/sync-me.js';
import { useServices, type Services } from '../../shared/services.js';
import { invoke } from '../support/invoke.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, run, servicesFor } from '../reconcile/helpers.js';

const tenant = useSimulatedTenant();
let services: Services;

beforeEach(() => {
  services = servicesFor(tenant, 'RoleAgree', {
    ROLE_MAPPINGS: JSON.stringify({ 'LLM.Viewer': 'internal_user_viewer' }),
    // A default unlike every role a group gives, so a role that comes from nowhere shows.
    DEFAULT_INTERNAL_USER_PARAMS: '{"user_role":"internal_user_viewer"}',
  });
  useServices(services);
  // The Prod team group is assigned as admins; the contractors group is nested in it too.
  tenant.admin.assignGroup(S.prodTeam, 'proxy_admin');
  tenant.admin.addMember(S.prodTeam, S.contractors);
});

afterEach(() => {
  tenant.admin.reset();
  useServices(undefined);
});

async function signIn(userId: string): Promise<void> {
  const token = await tenant.issueToken({ userId });
  const response = await invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status, response.text).toBe(200);
}

async function roles(): Promise<
  Record<string, { userRole: string | undefined; entraRole: string | undefined }>
> {
  const result: Record<string, { userRole: string | undefined; entraRole: string | undefined }> =
    {};
  for (const [name, userId] of Object.entries({
    ava: S.ava,
    ben: S.ben,
    chen: S.chen,
    elif: S.elif,
  })) {
    const user = (await services.repository.readUser(userId)).user;
    result[name] = { userRole: user?.userRole, entraRole: user?.entraRole };
  }
  return result;
}

const SIGNING_IN = [S.ava, S.ben, S.chen, S.elif];

describe('roles: a sign-in and a full pass agree', () => {
  it('never flip a role back and forth, nested member and operator choice included', async () => {
    for (const userId of SIGNING_IN) await signIn(userId);
    // An operator makes Ben a viewer admin by hand.
    const ben = (await services.repository.readUser(S.ben)).user;
    await tablesOf(services).applyWrites([
      {
        table: 'users',
        action: 'merge',
        partitionKey: S.ben,
        rowKey: 'user',
        properties: { userRole: 'proxy_admin_viewer' },
        etag: ben?.etag ?? '*',
      },
    ]);
    const expected = {
      // her own proxy_admin beats the evals group's internal_user
      ava: { userRole: 'proxy_admin', entraRole: 'proxy_admin' },
      // Entra says internal_user; the operator's choice is kept
      ben: { userRole: 'proxy_admin_viewer', entraRole: 'internal_user' },
      // nested in evals and in the admin group: neither group's role reaches him
      chen: { userRole: 'internal_user_viewer', entraRole: 'internal_user_viewer' },
      // a direct member of the admin group
      elif: { userRole: 'proxy_admin', entraRole: 'proxy_admin' },
    };
    expect(await roles()).toEqual(expected);

    const first = await run(services);
    expect(first.summary?.usersUpdated).toBe(0);
    expect(await roles()).toEqual(expected);
    for (const userId of SIGNING_IN) await signIn(userId);
    expect(await roles()).toEqual(expected);
    const second = await run(services);
    expect(second.summary?.tableWrites).toBe(0);
    expect(await roles()).toEqual(expected);
  });

  it('demote a user who leaves the admin group to their remaining role, on either path', async () => {
    tenant.admin.addMember(S.evals, S.elif);
    await signIn(S.elif);
    expect((await roles()).elif).toEqual({ userRole: 'proxy_admin', entraRole: 'proxy_admin' });

    tenant.admin.removeMember(S.prodTeam, S.elif);
    await run(services);
    expect((await roles()).elif).toEqual({ userRole: 'internal_user', entraRole: 'internal_user' });
    await signIn(S.elif);
    expect((await run(services)).summary?.tableWrites).toBe(0);
    expect((await roles()).elif).toEqual({ userRole: 'internal_user', entraRole: 'internal_user' });
  });
});
