/**
 * App roles in the simulated tenant, as Entra and Graph have them: defined on the application
 * and its service principal, assigned to groups and users (several per principal), carried in
 * `appRoleAssignedTo` and in the `roles` claim of the user's tokens.
 */
import { decodeJwt } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_ROLE_ID } from '../../dev/tenant/model.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, appToken, graphFetch } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
let token: string;

beforeAll(async () => {
  token = await appToken(sim);
});
beforeEach(() => {
  sim.admin.reset();
});

interface AssignmentRow {
  principalId: string;
  principalType: string;
  appRoleId: string;
}

async function graphJson<T>(path: string): Promise<T> {
  const response = await graphFetch(sim, token, path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function assignmentsOf(principalId: string): Promise<AssignmentRow[]> {
  const page = await graphJson<{ value: AssignmentRow[] }>(
    `/servicePrincipals/${sim.servicePrincipalId}/appRoleAssignedTo?$select=principalId,principalType,appRoleId`,
  );
  return page.value.filter((row) => row.principalId === principalId);
}

async function rolesClaimOf(userId: string): Promise<unknown> {
  return decodeJwt(await sim.issueToken({ userId })).roles;
}

const PROXY_ADMIN = {
  id: S.roles.proxyAdmin,
  value: 'proxy_admin',
  displayName: 'MishikaLLM proxy admin',
  allowedMemberTypes: ['User'],
  isEnabled: true,
};

describe('app role definitions', () => {
  it('are on the service principal, by id and in the appId filter', async () => {
    const sp = await graphJson<{ appRoles: Record<string, unknown>[] }>(
      `/servicePrincipals/${sim.servicePrincipalId}?$select=appRoles`,
    );
    expect(Object.keys(sp).filter((key) => !key.startsWith('@'))).toEqual(['appRoles']);
    expect(sp.appRoles.map((role) => role.value)).toEqual([
      'proxy_admin',
      'internal_user',
      'LLM.Viewer',
    ]);
    expect(sp.appRoles[0]).toMatchObject(PROXY_ADMIN);

    const filtered = await graphJson<{ value: { appRoles: unknown[] }[] }>(
      `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${sim.clientId}'`)}&$select=id,appRoles`,
    );
    expect(filtered.value[0]?.appRoles).toEqual(sp.appRoles);
  });

  it('are on the application too', async () => {
    const app = await graphJson<{ id: string; appRoles: unknown[] }>(
      `/applications(appId='${sim.clientId}')?$select=id,appRoles`,
    );
    expect(app.appRoles).toContainEqual(expect.objectContaining(PROXY_ADMIN));
    const byId = await graphJson<{ appRoles: unknown[] }>(`/applications/${app.id}`);
    expect(byId.appRoles).toEqual(app.appRoles);
    const listed = await graphJson<{ value: unknown[] }>(
      `/applications?$filter=${encodeURIComponent(`appId eq '${sim.clientId}'`)}`,
    );
    expect(listed.value).toHaveLength(1);
  });
});

describe('assignments', () => {
  it('carry the role id and the principal type, Default Access when no role is named', async () => {
    expect(await assignmentsOf(S.evals)).toEqual([
      { principalId: S.evals, principalType: 'Group', appRoleId: S.roles.internalUser },
    ]);
    expect(await assignmentsOf(S.ava)).toEqual([
      { principalId: S.ava, principalType: 'User', appRoleId: S.roles.proxyAdmin },
    ]);
    sim.admin.assignGroup(S.prodTeam);
    expect((await assignmentsOf(S.prodTeam))[0]?.appRoleId).toBe(DEFAULT_ACCESS_ROLE_ID);
  });

  it('take a role by value or by id, several per principal, and come off one at a time', async () => {
    sim.admin.assignUser(S.elif, 'LLM.Viewer');
    sim.admin.assignUser(S.elif, S.roles.internalUser);
    sim.admin.assignUser(S.elif, 'LLM.Viewer');
    expect((await assignmentsOf(S.elif)).map((row) => row.appRoleId).sort()).toEqual(
      [S.roles.llmViewer, S.roles.internalUser].sort(),
    );
    sim.admin.unassignUser(S.elif, 'LLM.Viewer');
    expect((await assignmentsOf(S.elif)).map((row) => row.appRoleId)).toEqual([
      S.roles.internalUser,
    ]);
    sim.admin.unassignUser(S.elif);
    expect(await assignmentsOf(S.elif)).toEqual([]);
  });

  it('refuse a role the app does not define, as Graph does', () => {
    expect(() => sim.admin.assignGroup(S.prodTeam, 'LLM.Nope')).toThrow(
      /Permission being assigned was not found/,
    );
  });

  it('are made and removed over the admin HTTP API with a role value', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${sim.baseUrl}/_admin${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const made = await admin('POST', '/assignments', {
      principalId: S.ben,
      appRole: 'proxy_admin',
    });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ principalId: S.ben, appRoleId: S.roles.proxyAdmin });
    const unknown = await admin('POST', '/assignments', { principalId: S.ben, appRole: 'x' });
    expect(unknown.status).toBe(400);
    expect(
      (await admin('DELETE', `/assignments/${S.ben}`, { appRole: 'proxy_admin' })).status,
    ).toBe(200);
    expect(await assignmentsOf(S.ben)).toEqual([]);
  });
});

describe('the roles claim', () => {
  it("holds the user's own roles and those of the groups they are a direct member of", async () => {
    // Ava: proxy_admin herself, internal_user through the evals group.
    expect(await rolesClaimOf(S.ava)).toEqual(['internal_user', 'proxy_admin']);
    expect(await rolesClaimOf(S.ben)).toEqual(['internal_user']);
    expect(await rolesClaimOf(S.gus)).toEqual(['LLM.Viewer']);
  });

  it('is absent without a role, and Entra passes no group role on through a nested group', async () => {
    // Chen is in the contractors group, which is nested in the evals group.
    expect(await rolesClaimOf(S.chen)).toBeUndefined();
    expect(await rolesClaimOf(S.elif)).toBeUndefined();
    sim.admin.assignGroup(S.prodTeam);
    expect(await rolesClaimOf(S.elif)).toBeUndefined();
  });

  it('follows a new assignment at the next token', async () => {
    sim.admin.assignGroup(S.prodTeam, 'proxy_admin');
    expect(await rolesClaimOf(S.elif)).toEqual(['proxy_admin']);
    sim.admin.unassignGroup(S.prodTeam);
    expect(await rolesClaimOf(S.elif)).toBeUndefined();
  });

  it('is as the caller asks when the test names it', async () => {
    expect(decodeJwt(await sim.issueToken({ userId: S.chen, roles: [] })).roles).toEqual([]);
  });
});
