import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_ROLE_ID, createDirectoryReader } from '../../shared/graph/index.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, readerFor, routeCount, settingsFor } from './helpers.js';

const LOOKUP = "GET /v1.0/servicePrincipals(appId='{appId}')";
const ASSIGNED = 'GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo';
const BATCH = 'POST /v1.0/$batch';

const sim = useSimulatedTenant(SAMPLE);

beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  sim.resetCounters();
});

describe('the service principal', () => {
  it('is looked up from the client id once, however often it is needed', async () => {
    const reader = readerFor(sim, { env: { ENTRA_SERVICE_PRINCIPAL_ID: undefined } });
    const ids = await Promise.all([reader.servicePrincipalId(), reader.servicePrincipalId()]);
    await reader.assignedGroups();
    await reader.assignedGroups();
    expect(ids).toEqual([sim.servicePrincipalId, sim.servicePrincipalId]);
    expect(routeCount(sim, LOOKUP)).toBe(1);
    expect(routeCount(sim, ASSIGNED)).toBe(2);
  });

  it('is not looked up when configured', async () => {
    const reader = readerFor(sim);
    expect(await reader.servicePrincipalId()).toBe(sim.servicePrincipalId);
    await reader.assignedGroups();
    expect(routeCount(sim, LOOKUP)).toBe(0);
  });

  it('is looked up again after a failed lookup', async () => {
    sim.faults.inject({ pathPattern: 'servicePrincipals(appId=', status: 500 });
    const reader = readerFor(sim, { env: { ENTRA_SERVICE_PRINCIPAL_ID: undefined } });
    await expect(reader.servicePrincipalId()).rejects.toMatchObject({ code: 'graph_unavailable' });
    expect(await reader.servicePrincipalId()).toBe(sim.servicePrincipalId);
    expect(routeCount(sim, LOOKUP)).toBe(2);
  });
});

describe('assignedGroups', () => {
  it('lists the groups assigned to the app, not the users', async () => {
    sim.admin.assignGroup(S.prodTeam);
    const groups = await readerFor(sim).assignedGroups();
    expect([...groups].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: S.evals, displayName: 'Production LLM Evals Group' },
      { id: S.prodTeam, displayName: 'Default MishikaLLM Prod Team' },
    ]);
  });
});

describe('appAssignments and appRoles', () => {
  it('list the assigned groups and the directly assigned users, each with its app role ids', async () => {
    sim.admin.assignGroup(S.evals, 'LLM.Viewer');
    sim.admin.assignGroup(S.prodTeam);
    const { groups, users } = await readerFor(sim).appAssignments();
    const byId = <T extends { id: string }>(list: readonly T[]) =>
      [...list].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(groups)).toEqual([
      {
        id: S.evals,
        displayName: 'Production LLM Evals Group',
        appRoleIds: [S.roles.internalUser, S.roles.llmViewer],
      },
      {
        id: S.prodTeam,
        displayName: 'Default MishikaLLM Prod Team',
        appRoleIds: [DEFAULT_ACCESS_ROLE_ID],
      },
    ]);
    expect(byId(users)).toEqual([
      { id: S.ava, displayName: 'Ava Patel', appRoleIds: [S.roles.proxyAdmin] },
      { id: S.gus, displayName: 'Gus Lindqvist', appRoleIds: [S.roles.llmViewer] },
    ]);
    expect(sim.counters().requestsByRoute[ASSIGNED]).toBe(1);
  });

  it('read the role definitions from the service principal', async () => {
    const roles = await readerFor(sim).appRoles();
    expect(roles).toContainEqual({
      id: S.roles.proxyAdmin,
      value: 'proxy_admin',
      displayName: 'MishikaLLM proxy admin',
      allowedMemberTypes: ['User'],
      isEnabled: true,
    });
    expect(roles.map((role) => role.value)).toEqual(['proxy_admin', 'internal_user', 'LLM.Viewer']);
    expect(routeCount(sim, 'GET /v1.0/servicePrincipals/{id}')).toBe(1);
  });

  it('share one listing with assignedGroups', async () => {
    const reader = createDirectoryReader(settingsFor(sim, { ASSIGNED_GROUPS_CACHE_SECONDS: '5' }));
    await Promise.all([reader.assignedGroups(), reader.appAssignments(), reader.assignedGroups()]);
    await reader.appAssignments();
    expect(routeCount(sim, ASSIGNED)).toBe(1);
  });
});

describe('userWithGroups', () => {
  it('reads the profile and the transitive groups in one $batch', async () => {
    const reader = readerFor(sim);
    const { user, groupIds } = await reader.userWithGroups(S.chen, 'transitive');
    expect(user).toEqual({
      id: S.chen,
      displayName: 'Chen Wei',
      userPrincipalName: 'chen.wei@mishikallm.onmicrosoft.com',
      mail: 'chen.wei@mishikallm.onmicrosoft.com',
      accountEnabled: true,
    });
    // Chen is in the contractors group, which is nested in the evals group.
    expect([...groupIds].sort()).toEqual([S.contractors, S.allStaff, S.evals].sort());
    expect(reader.requestCount).toBe(1);
    expect(sim.counters().requestsByRoute).toMatchObject({
      [BATCH]: 1,
      'GET /v1.0/users/{id}': 1,
      'POST /v1.0/users/{id}/getMemberGroups': 1,
    });
  });

  it('reads only direct groups when membership is direct', async () => {
    const { groupIds } = await readerFor(sim).userWithGroups(S.chen, 'direct');
    expect([...groupIds].sort()).toEqual([S.contractors, S.allStaff].sort());
    expect(routeCount(sim, 'GET /v1.0/users/{id}/memberOf/microsoft.graph.group')).toBe(1);
  });

  it('follows next links of direct groups', async () => {
    const reader = readerFor(sim, { pageSize: 1 });
    const { groupIds } = await reader.userWithGroups(S.chen, 'direct');
    expect(groupIds.size).toBe(2);
    expect(routeCount(sim, 'GET /v1.0/users/{id}/memberOf/microsoft.graph.group')).toBe(2);
    expect(reader.requestCount).toBe(2);
  });

  it('reports a disabled user as disabled', async () => {
    const { user } = await readerFor(sim).userWithGroups(S.farah, 'transitive');
    expect(user?.accountEnabled).toBe(false);
  });

  it('answers an unknown user with no user and no groups', async () => {
    sim.admin.deleteUser(S.dana);
    for (const membership of ['transitive', 'direct'] as const) {
      const result = await readerFor(sim).userWithGroups(S.dana, membership);
      expect(result.user).toBeUndefined();
      expect(result.groupIds.size).toBe(0);
    }
  });
});

describe('groupMembers', () => {
  it('lists users only, transitively through nested groups or directly', async () => {
    const reader = readerFor(sim);
    const transitive = await reader.groupMembers([S.evals], 'transitive');
    const direct = await reader.groupMembers([S.evals], 'direct');
    const ids = (result: typeof transitive) => {
      const members = result.get(S.evals);
      return members?.complete === true ? members.members.map((m) => m.id).sort() : members;
    };
    expect(ids(transitive)).toEqual([S.ava, S.ben, S.chen, S.dana].sort());
    expect(ids(direct)).toEqual([S.ava, S.ben].sort());
    expect(routeCount(sim, 'GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user')).toBe(1);
    expect(routeCount(sim, 'GET /v1.0/groups/{id}/members/microsoft.graph.user')).toBe(1);
  });

  it('reports a deleted group as incomplete, saying so, and reads the others', async () => {
    sim.admin.deleteGroup(S.prodTeam);
    const progress: [number, number][] = [];
    const result = await readerFor(sim).groupMembers(
      [S.evals, S.prodTeam, S.allStaff],
      'transitive',
      (done, total) => progress.push([done, total]),
    );
    expect(result.get(S.prodTeam)).toEqual({
      groupId: S.prodTeam,
      complete: false,
      reason: expect.stringMatching(/not found/) as unknown,
    });
    expect(result.get(S.evals)?.complete).toBe(true);
    expect(result.get(S.allStaff)).toMatchObject({ complete: true, members: { length: 7 } });
    expect(progress.at(-1)).toEqual([3, 3]);
    expect(progress).toHaveLength(3);
  });

  it('answers in the order asked, each group once', async () => {
    const result = await readerFor(sim).groupMembers([S.allStaff, S.evals, S.allStaff], 'direct');
    expect([...result.keys()]).toEqual([S.allStaff, S.evals]);
  });
});

describe('users', () => {
  it('reads profiles through $batch, null for a user Graph does not find', async () => {
    sim.admin.deleteUser(S.ben);
    const reader = readerFor(sim);
    const users = await reader.users([S.ava, S.ben, S.farah]);
    expect(users.get(S.ava)?.displayName).toBe('Ava Patel');
    expect(users.get(S.ben)).toBeNull();
    expect(users.get(S.farah)?.accountEnabled).toBe(false);
    expect(reader.requestCount).toBe(1);
  });

  it('packs at most 20 users into one $batch', async () => {
    const ids = Array.from(
      { length: 45 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const reader = readerFor(sim);
    const users = await reader.users(ids);
    expect([...users.values()].every((user) => user === null)).toBe(true);
    expect(routeCount(sim, BATCH)).toBe(3);
    expect(sim.counters().batchSubRequests).toBe(45);
  });
});

describe('the assigned-groups cache', () => {
  it('answers from the cache within its time and reads Graph after', async () => {
    let now = new Date('2026-11-30T10:00:00Z');
    const reader = createDirectoryReader(
      settingsFor(sim, { ASSIGNED_GROUPS_CACHE_SECONDS: '30' }),
      { clock: () => now },
    );
    expect(await reader.assignedGroups()).toHaveLength(1);
    sim.admin.assignGroup(S.prodTeam);
    now = new Date('2026-11-30T10:00:29Z');
    expect(await reader.assignedGroups()).toHaveLength(1);
    expect(routeCount(sim, ASSIGNED)).toBe(1);

    now = new Date('2026-11-30T10:00:30Z');
    expect(await reader.assignedGroups()).toHaveLength(2);
    expect(routeCount(sim, ASSIGNED)).toBe(2);

    // A caller that needs the current list (reconciliation) asks for it.
    sim.admin.unassignGroup(S.prodTeam);
    expect(await reader.assignedGroups({ maxAgeSeconds: 0 })).toHaveLength(1);
    expect(routeCount(sim, ASSIGNED)).toBe(3);
  });

  it('reads the list again behind an answer past half its life, so nobody waits at expiry', async () => {
    let now = new Date('2026-11-30T10:00:00Z');
    const reader = createDirectoryReader(
      settingsFor(sim, { ASSIGNED_GROUPS_CACHE_SECONDS: '30' }),
      { clock: () => now },
    );
    expect(await reader.assignedGroups()).toHaveLength(1);
    sim.admin.assignGroup(S.prodTeam);
    now = new Date('2026-11-30T10:00:20Z');
    // Still the cached list, but a fresh one is on its way.
    expect(await reader.assignedGroups()).toHaveLength(1);
    now = new Date('2026-11-30T10:00:40Z');
    expect(await reader.assignedGroups()).toHaveLength(2);
    expect(routeCount(sim, ASSIGNED)).toBe(2);
  });

  it('shares one read between concurrent callers, and keeps nothing when set to 0', async () => {
    const reader = readerFor(sim);
    await Promise.all([reader.assignedGroups(), reader.assignedGroups()]);
    expect(routeCount(sim, ASSIGNED)).toBe(1);
    await reader.assignedGroups();
    expect(routeCount(sim, ASSIGNED)).toBe(2);
  });

  it('does not keep a failure', async () => {
    sim.faults.inject({ pathPattern: '/appRoleAssignedTo', status: 500 });
    const reader = createDirectoryReader(settingsFor(sim, { ASSIGNED_GROUPS_CACHE_SECONDS: '60' }));
    await expect(reader.assignedGroups()).rejects.toMatchObject({ code: 'graph_unavailable' });
    expect(await reader.assignedGroups()).toHaveLength(1);
  });
});

describe('credentials', () => {
  it('answers a refused client secret with graph_denied, without the secret in the message', async () => {
    const secret = 'sim~a-wrong-secret-value';
    const reader = readerFor(sim, { env: { ENTRA_CLIENT_SECRET: secret } });
    const error: unknown = await reader.users([S.ava]).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SyncServiceError', code: 'graph_denied' });
    expect((error as Error).message).not.toContain(secret);
    expect(reader.requestCount).toBe(0);
  });

  it('counts every HTTP request sent to Graph, a $batch once', async () => {
    const reader = readerFor(sim, { env: { ENTRA_SERVICE_PRINCIPAL_ID: undefined } });
    await reader.assignedGroups();
    await reader.userWithGroups(S.ava, 'transitive');
    await reader.groupMembers([S.evals, S.allStaff], 'direct');
    expect(routeCount(sim, LOOKUP) + routeCount(sim, ASSIGNED) + routeCount(sim, BATCH)).toBe(4);
    expect(reader.requestCount).toBe(4);
  });
});
