/**
 * Who gets a user row, and which role, through the real POST /api/sync/me handler against the
 * sample tenant: users assigned to the app (through a group or directly) are synced with the
 * role their app roles map to; anyone else is refused and nothing is written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { syncMe } from '../../functions/sync-me.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import type { SignInResult } from '../../shared/sync/sign-in.js';
import { invoke } from '../support/invoke.js';
import { S } from '../support/sample-tenant.js';
import { testSettings } from '../support/services.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const tenant = useSimulatedTenant();

afterEach(() => {
  tenant.admin.reset();
  useServices(undefined);
});

/** As config/mishikallm.yaml: LLM.Viewer is a custom value, mapped. */
const ROLE_MAPPINGS = JSON.stringify({ 'LLM.Viewer': 'internal_user_viewer' });

function servicesFor(environment: Record<string, string> = {}): Services {
  const settings = testSettings({
    ...tenant.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    ROLE_MAPPINGS,
    ...environment,
  });
  const services = createServices(settings, {
    createDirectory: (options) =>
      createDirectoryReader(settings, { sleep: () => Promise.resolve(), ...options }),
  });
  useServices(services);
  return services;
}

async function signIn(userId: string) {
  const token = await tenant.issueToken({ userId });
  return invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: { authorization: `Bearer ${token}` },
  });
}

async function signInOk(userId: string): Promise<SignInResult> {
  const response = await signIn(userId);
  expect(response.status, response.text).toBe(200);
  return response.json as SignInResult;
}

async function entityCount(services: Services): Promise<number> {
  let count = 0;
  for (const table of ['teams', 'users'] as const) {
    for await (const _entity of tablesOf(services).listEntities(table)) count += 1;
  }
  return count;
}

describe('POST /api/sync/me: who is synced', () => {
  it('refuses a user in no assigned group and not assigned directly: 403, nothing written', async () => {
    const services = servicesFor();
    // Elif is in the Prod team group, which is not assigned, and in All Staff.
    const response = await signIn(S.elif);
    expect(response.status).toBe(403);
    expect(response.json).toMatchObject({
      error: 'not_assigned',
      message: expect.stringContaining('You are not assigned to MishikaLLM') as string,
    });
    expect(response.text).not.toMatch(/ at .*\.(ts|js):\d+/);
    expect(await entityCount(services)).toBe(0);
  });

  it('refuses a user who was synced before and is no longer assigned, without a sign-in stamp', async () => {
    const services = servicesFor();
    await signInOk(S.ben);
    const before = await services.repository.readUser(S.ben);
    tenant.admin.removeMember(S.evals, S.ben);

    expect((await signIn(S.ben)).status).toBe(403);
    const after = await services.repository.readUser(S.ben);
    expect(after.user?.etag).toBe(before.user?.etag);
    expect(after.user?.lastSignInAt).toBe(before.user?.lastSignInAt);
    // The membership is the full pass's to remove: a refused sign-in writes nothing.
    expect(after.teams.has(S.evals)).toBe(true);
  });

  it('creates a user assigned to the app directly, with no team and their role', async () => {
    const services = servicesFor();
    const result = await signInOk(S.gus);
    expect(result.user).toMatchObject({
      userId: S.gus,
      created: true,
      userRole: 'internal_user_viewer',
      entraRole: 'internal_user_viewer',
    });
    expect(result.teams).toEqual([]);
    const record = await services.repository.readUser(S.gus);
    expect(record.user).toMatchObject({ userRole: 'internal_user_viewer' });
    expect(record.teams.size).toBe(0);
  });

  it('with SIGN_IN_USERS=any, gives every tenant user who signs in a row (v1)', async () => {
    const services = servicesFor({ SIGN_IN_USERS: 'any' });
    const result = await signInOk(S.elif);
    expect(result.user).toMatchObject({ userId: S.elif, created: true, userRole: 'internal_user' });
    expect(result.teams).toEqual([]);
    expect((await services.repository.readUser(S.elif)).user?.lastSignInAt).toBeDefined();
  });
});

describe('POST /api/sync/me: roles from Entra app roles', () => {
  it('gives the most privileged mapped role: Ava holds internal_user (group) and proxy_admin', async () => {
    servicesFor();
    expect((await signInOk(S.ava)).user).toMatchObject({
      userRole: 'proxy_admin',
      entraRole: 'proxy_admin',
    });
    expect((await signInOk(S.ben)).user).toMatchObject({
      userRole: 'internal_user',
      entraRole: 'internal_user',
    });
  });

  it('ignores a value nothing maps: Gus’s LLM.Viewer without role_mappings gives the default', async () => {
    servicesFor({ ROLE_MAPPINGS: '{}' });
    expect((await signInOk(S.gus)).user).toMatchObject({
      userRole: 'internal_user',
      entraRole: 'internal_user',
    });
  });

  it('demotes to the default role when the admin assignment goes, and keeps an operator’s role', async () => {
    const services = servicesFor();
    await signInOk(S.ava);
    tenant.admin.unassignUser(S.ava);
    expect((await signInOk(S.ava)).user).toMatchObject({
      userRole: 'internal_user',
      entraRole: 'internal_user',
    });

    await signInOk(S.ben);
    const row = (await services.repository.readUser(S.ben)).user;
    await tablesOf(services).applyWrites([
      {
        table: 'users',
        action: 'merge',
        partitionKey: S.ben,
        rowKey: 'user',
        properties: { userRole: 'proxy_admin_viewer' },
        etag: row?.etag ?? '*',
      },
    ]);
    tenant.admin.assignUser(S.ben, 'proxy_admin');
    expect((await signInOk(S.ben)).user).toMatchObject({
      userRole: 'proxy_admin_viewer',
      entraRole: 'proxy_admin',
    });
  });
});
