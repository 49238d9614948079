/**
 * A tenant whose app defines no role that maps to a MishikaLLM role behaves as v1: no
 * `entraRole` is written and `userRole` is the default at creation and the operator's after, on
 * a sign-in and in a full pass alike.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TenantData } from '../../dev/tenant/model.js';
import { syncMe } from '../../functions/sync-me.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import { invoke } from '../support/invoke.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { testSettings } from '../support/services.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

/** The sample tenant with only the custom LLM.Viewer role (held by Gus), and nothing mapping it. */
function withoutMappedRoles(): TenantData {
  const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as TenantData;
  return {
    ...sample,
    app: {
      ...sample.app,
      appRoles: (sample.app.appRoles ?? []).filter((role) => role.value === 'LLM.Viewer'),
    },
    assignments: [{ principalId: S.evals }, { principalId: S.gus, appRoleId: S.roles.llmViewer }],
  };
}

const tenant = useSimulatedTenant(withoutMappedRoles());

afterEach(() => {
  tenant.admin.reset();
  useServices(undefined);
});

function servicesFor(): Services {
  const settings = testSettings({
    ...tenant.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    DEFAULT_INTERNAL_USER_PARAMS: '{"user_role":"internal_user_viewer"}',
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
  const response = await invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status, response.text).toBe(200);
}

describe('no app role maps to a MishikaLLM role (v1)', () => {
  it('creates users with the default role, writes no entraRole, and keeps an operator’s role', async () => {
    const services = servicesFor();
    await signIn(S.ben);
    await signIn(S.gus);
    const client = await tablesOf(services).table('users');
    for (const userId of [S.ben, S.gus]) {
      const row = await client.getEntity(userId, 'user');
      expect(row.userRole).toBe('internal_user_viewer');
      expect(row).not.toHaveProperty('entraRole');
    }

    await client.upsertEntity(
      { partitionKey: S.ben, rowKey: 'user', userRole: 'proxy_admin' },
      'Merge',
    );
    const { record } = await reconcile(services, { trigger: 'cli' });
    await signIn(S.ben);
    const ben = await client.getEntity(S.ben, 'user');
    expect(ben.userRole).toBe('proxy_admin');
    expect(ben).not.toHaveProperty('entraRole');
    // The pass created the evals members and changed no user it had seen signing in.
    expect(record.summary?.usersUpdated).toBe(0);
  });
});
