/**
 * The MishikaLLM Microsoft SSO walkthrough, literally, through the real POST /api/sync/me
 * handler, against the simulated tenant and Azurite: groups assigned to the app become teams,
 * members sync, and what the service creates gets the default params.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { syncMe } from '../../functions/sync-me.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import type { StoredEntity } from '../../shared/store/entities.js';
import * as writes from '../../shared/store/writes.js';
import type { SignInResult } from '../../shared/sync/sign-in.js';
import { invoke } from '../support/invoke.js';
import { S } from '../support/sample-tenant.js';
import { testSettings } from '../support/services.js';
import { allTeams, tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const { evals: EVALS, contractors: CONTRACTORS, prodTeam: PROD } = S;
const { ava: AVA, ben: BEN, chen: CHEN, elif: ELIF, gus: GUS } = S;

const DEFAULT_TEAM_PARAMS = JSON.stringify({
  max_budget: 100,
  budget_duration: '30d',
  models: ['gpt-3.5-turbo'],
});

const tenant = useSimulatedTenant();

afterEach(() => {
  tenant.admin.reset();
  tenant.faults.clear();
  useServices(undefined);
});

/** Fresh tables (own prefix) and settings pointing at the tenant; waits are not slept. */
function servicesFor(environment: Record<string, string> = {}, pageSize?: number): Services {
  const settings = testSettings({
    ...tenant.env,
    DEFAULT_TEAM_PARAMS,
    DEFAULT_INTERNAL_USER_PARAMS:
      '{"user_role":"internal_user","max_budget":10,"budget_duration":"30d"}',
    ...environment,
  });
  const services = createServices(settings, {
    createDirectory: (options) =>
      createDirectoryReader(settings, {
        sleep: () => Promise.resolve(),
        ...(pageSize === undefined ? {} : { pageSize }),
        ...options,
      }),
  });
  useServices(services);
  return services;
}

async function signIn(userId: string, options: { includeGroups?: boolean } = {}) {
  const token = await tenant.issueToken({ userId, ...options });
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

async function snapshot(services: Services, table: 'teams' | 'users'): Promise<StoredEntity[]> {
  const entities: StoredEntity[] = [];
  for await (const entity of tablesOf(services).listEntities(table)) entities.push(entity);
  return entities;
}

describe('the walkthrough', () => {
  it('1. a group assigned to the app becomes a team when a member signs in', async () => {
    const services = servicesFor();
    const result = await signInOk(AVA);

    const team = await services.repository.readTeam(EVALS);
    expect(team.team).toMatchObject({
      teamId: EVALS,
      teamAlias: 'Production LLM Evals Group',
      entraGroupId: EVALS,
      entraDisplayName: 'Production LLM Evals Group',
      source: 'entra',
      createdBy: 'signin',
    });
    expect(team.members.get(AVA)).toMatchObject({ source: 'entra', role: 'user' });
    expect((await services.repository.readUser(AVA)).teams.get(EVALS)).toMatchObject({
      source: 'entra',
    });
    expect(result.teams).toEqual([
      { teamId: EVALS, teamAlias: 'Production LLM Evals Group', role: 'user', source: 'entra' },
    ]);
    expect(result.changes).toMatchObject({ teamsCreated: [EVALS], membershipsAdded: [EVALS] });
    expect(result.user).toMatchObject({
      userId: AVA,
      userEmail: 'ava.patel@mishikallm.onmicrosoft.com',
      created: true,
    });
  });

  it('2. a user added to the group in Entra is a member after signing in', async () => {
    const services = servicesFor();
    await signInOk(AVA);
    expect((await services.repository.readTeam(EVALS)).members.has(ELIF)).toBe(false);

    tenant.admin.addMember(EVALS, ELIF);
    const result = await signInOk(ELIF);

    expect((await services.repository.readTeam(EVALS)).members.get(ELIF)).toMatchObject({
      source: 'entra',
    });
    expect(result.changes.membershipsAdded).toContain(EVALS);
    expect(result.changes.teamsCreated).not.toContain(EVALS);
  });

  it('3. a newly assigned group gets exactly the default team params', async () => {
    const services = servicesFor();
    tenant.admin.assignGroup(PROD);
    const result = await signInOk(ELIF);

    expect(result.changes.teamsCreated).toEqual([PROD]);
    const team = (await services.repository.readTeam(PROD)).team;
    expect(team).toMatchObject({
      teamAlias: 'Default MishikaLLM Prod Team',
      maxBudget: 100,
      budgetDuration: '30d',
      models: ['gpt-3.5-turbo'],
    });
    const raw = await tablesOf(services).readEntity('teams', PROD, 'team');
    expect(raw).toMatchObject({
      maxBudget: 100,
      budgetDuration: '30d',
      models: '["gpt-3.5-turbo"]',
    });
    expect((await services.repository.readUser(ELIF)).user).toMatchObject({
      userRole: 'internal_user',
      maxBudget: 10,
      budgetDuration: '30d',
    });
  });
});

describe('sign-in sync', () => {
  it('removes the membership of a user who left the group, on both sides (SIGN_IN_USERS=any)', async () => {
    // Ben leaves his only assigned group: by default his sign-in is refused and writes nothing
    // (access.test.ts); with SIGN_IN_USERS=any it keeps his row current, as v1 did.
    const services = servicesFor({ SIGN_IN_USERS: 'any' });
    await signInOk(BEN);
    tenant.admin.removeMember(EVALS, BEN);
    const result = await signInOk(BEN);

    expect(result.changes.membershipsRemoved).toEqual([EVALS]);
    expect(result.teams).toEqual([]);
    expect((await services.repository.readTeam(EVALS)).members.has(BEN)).toBe(false);
    expect((await services.repository.readUser(BEN)).teams.size).toBe(0);
  });

  it('counts members of a nested group (transitive), and not with GROUP_MEMBERSHIP=direct', async () => {
    const transitive = servicesFor();
    expect((await signInOk(CHEN)).teams.map((team) => team.teamId)).toEqual([EVALS]);
    expect((await transitive.repository.readTeam(EVALS)).members.has(CHEN)).toBe(true);

    // Directly, Chen is in no assigned group and not assigned himself: refused, nothing written.
    const direct = servicesFor({ GROUP_MEMBERSHIP: 'direct' });
    const refused = await signIn(CHEN);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'not_assigned' });
    expect((await direct.repository.readUser(CHEN)).user).toBeUndefined();
    expect((await direct.repository.readTeam(EVALS)).members.has(CHEN)).toBe(false);

    const anyone = servicesFor({ GROUP_MEMBERSHIP: 'direct', SIGN_IN_USERS: 'any' });
    expect((await signInOk(CHEN)).teams).toEqual([]);
    expect((await anyone.repository.readTeam(EVALS)).members.has(CHEN)).toBe(false);
    expect(
      tenant.admin.getState().groups.find((group) => group.id === CONTRACTORS)?.members,
    ).toContain(CHEN);
  });

  it('syncs a user in 250 groups, whose token carries the overage form instead of groups', async () => {
    const services = servicesFor();
    const assigned: string[] = [];
    for (let index = 0; index < 250; index += 1) {
      const id = `0000${index.toString(16).padStart(4, '0')}-0000-4000-8000-000000000250`;
      tenant.admin.addGroup({ id, displayName: `Project ${index}`, members: [BEN] });
      if (index % 100 === 0) {
        tenant.admin.assignGroup(id);
        assigned.push(id);
      }
    }
    const token = await tenant.issueToken({ userId: BEN });
    const claims = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims.groups).toBeUndefined();
    expect(claims._claim_names).toEqual({ groups: 'src1' });

    const result = await signInOk(BEN);
    expect(result.teams.map((team) => team.teamId).sort()).toEqual([...assigned, EVALS].sort());
    expect((await services.repository.readUser(BEN)).teams.size).toBe(4);
  });

  it('pages through 120 assigned groups', async () => {
    const services = servicesFor({}, 50);
    const mine: string[] = [];
    for (let index = 0; index < 120; index += 1) {
      const id = `0000${index.toString(16).padStart(4, '0')}-0000-4000-8000-000000000120`;
      const member = index === 7 || index === 119;
      tenant.admin.addGroup({ id, displayName: `Assigned ${index}`, members: member ? [AVA] : [] });
      tenant.admin.assignGroup(id);
      if (member) mine.push(id);
    }
    tenant.resetCounters();
    const result = await signInOk(AVA);
    expect(result.teams.map((team) => team.teamId).sort()).toEqual([...mine, EVALS].sort());
    const counters = tenant.counters().requestsByRoute;
    const assignmentPages = Object.entries(counters)
      .filter(([route]) => route.includes('appRoleAssignedTo'))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(assignmentPages).toBe(3);
    expect((await allTeams(services)).size).toBe(3);
  });

  it('keeps a manual membership, never demoting or converting it', async () => {
    const services = servicesFor();
    await signInOk(AVA);
    // An operator adds Gus (not in the group) to the team by hand, as an admin.
    await tablesOf(services).applyWrites(
      writes.createMembership({
        teamId: EVALS,
        userId: GUS,
        role: 'admin',
        source: 'manual',
        addedAt: 'x',
      }),
    );
    const result = await signInOk(GUS);
    expect(result.changes.membershipsRemoved).toEqual([]);
    expect(result.teams).toEqual([
      { teamId: EVALS, teamAlias: 'Production LLM Evals Group', role: 'admin', source: 'manual' },
    ]);
    expect((await services.repository.readTeam(EVALS)).members.get(GUS)).toMatchObject({
      source: 'manual',
      role: 'admin',
    });
  });

  it("keeps an operator's budget, models and alias", async () => {
    const services = servicesFor({ ASSIGNED_GROUPS_CACHE_SECONDS: '0' });
    await signInOk(AVA);
    const team = (await services.repository.readTeam(EVALS)).team;
    await tablesOf(services).applyWrites([
      writes.updateTeam(
        EVALS,
        { maxBudget: 2500, models: ['gpt-4o'], teamAlias: 'Evals (prod)' },
        team?.etag ?? '',
      ),
    ]);
    await signInOk(BEN);
    tenant.admin.renameGroup(EVALS, 'LLM Evals');
    await signInOk(AVA);
    expect((await services.repository.readTeam(EVALS)).team).toMatchObject({
      maxBudget: 2500,
      models: ['gpt-4o'],
      teamAlias: 'Evals (prod)',
      entraDisplayName: 'LLM Evals',
    });
  });

  it('answers with the team as this sign-in left it: renamed, restored', async () => {
    const services = servicesFor({ ASSIGNED_GROUPS_CACHE_SECONDS: '0' });
    await signInOk(AVA);
    const team = (await services.repository.readTeam(EVALS)).team;
    await tablesOf(services).applyWrites([
      writes.updateTeam(
        EVALS,
        { archived: true, archivedAt: 'x', archivedReason: 'x' },
        team?.etag ?? '',
      ),
    ]);
    tenant.admin.renameGroup(EVALS, 'LLM Evals');
    const result = await signInOk(AVA);
    expect(result.changes).toMatchObject({ teamsRenamed: [EVALS], teamsRestored: [EVALS] });
    expect(result.teams).toEqual([
      { teamId: EVALS, teamAlias: 'LLM Evals', role: 'user', source: 'entra' },
    ]);
  });

  it('creates one team, with defaults applied once, when two members sign in at once', async () => {
    const services = servicesFor();
    tenant.admin.assignGroup(PROD);
    const [elif, ava] = await Promise.all([signInOk(ELIF), signInOk(AVA)]);
    const created = [elif, ava].filter((result) => result.changes.teamsCreated.includes(PROD));
    expect(created).toHaveLength(1);
    const team = await services.repository.readTeam(PROD);
    expect([...team.members.keys()].sort()).toEqual([AVA, ELIF].sort());
    expect(
      (await snapshot(services, 'teams')).filter(
        (entity) => entity.partitionKey === PROD && entity.rowKey === 'team',
      ),
    ).toHaveLength(1);
  });

  it('writes nothing but lastSignInAt on a second identical sign-in', async () => {
    const services = servicesFor();
    await signInOk(AVA);
    const teamsBefore = await snapshot(services, 'teams');
    const usersBefore = await snapshot(services, 'users');

    const second = await signInOk(AVA);
    expect(second.changes).toMatchObject({
      teamsCreated: [],
      membershipsAdded: [],
      membershipsRemoved: [],
      membershipsRepaired: [],
      tableWrites: 1,
    });
    expect(await snapshot(services, 'teams')).toEqual(teamsBefore);
    const usersAfter = await snapshot(services, 'users');
    const withoutSignIn = (entities: StoredEntity[]) =>
      entities.map(({ etag: _etag, lastSignInAt: _last, ...rest }) => rest);
    expect(withoutSignIn(usersAfter)).toEqual(withoutSignIn(usersBefore));
    expect(
      usersAfter.filter((entity, index) => entity.etag !== usersBefore[index]?.etag),
    ).toHaveLength(1);
  });

  it('answers 503 and removes nothing when Graph cannot tell the groups', async () => {
    const services = servicesFor();
    await signInOk(BEN);
    tenant.admin.removeMember(EVALS, BEN);
    tenant.faults.inject({
      pathPattern: 'getMemberGroups',
      status: 503,
      times: Infinity,
      inBatch: true,
    });

    const response = await signIn(BEN);
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ error: 'graph_unavailable' });
    expect((await services.repository.readTeam(EVALS)).members.has(BEN)).toBe(true);
    expect((await services.repository.readUser(BEN)).teams.has(EVALS)).toBe(true);
  });

  it('retries throttled Graph requests within the sign-in and then succeeds', async () => {
    servicesFor();
    tenant.faults.inject({
      pathPattern: 'getMemberGroups',
      status: 429,
      retryAfterSeconds: 1,
      times: 2,
      inBatch: true,
    });
    const result = await signInOk(AVA);
    expect(result.teams.map((team) => team.teamId)).toEqual([EVALS]);
    expect(tenant.counters().statuses['429']).toBe(2);
  });
});
