/**
 * Reconciliation against the sample tenant (dev/tenants/sample.json): each test starts from the
 * loaded directory and empty tables of its own, changes Entra through the admin API, and checks
 * the tables against the ownership rules of DESIGN.md.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/errors.js';
import type { Services } from '../../shared/services.js';
import type { TableRole } from '../../shared/store/index.js';
import type { EntityProperties } from '../../shared/store/entities.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import {
  S,
  SAMPLE,
  entraMembers,
  expectTablesMatchEntra,
  run,
  servicesFor,
  snapshot,
  tableContents,
} from './helpers.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { tablesOf } from '../support/tables.js';

const DEFAULTS = {
  DEFAULT_TEAM_PARAMS: JSON.stringify({
    max_budget: 100,
    budget_duration: '30d',
    models: ['gpt-3.5-turbo'],
    tpm_limit: 100000,
    rpm_limit: 1000,
  }),
  DEFAULT_INTERNAL_USER_PARAMS: JSON.stringify({
    user_role: 'internal_user',
    max_budget: 10,
    budget_duration: '30d',
    models: [],
  }),
};

const sim = useSimulatedTenant(SAMPLE);
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
});

function services(environment: Record<string, string> = {}): Services {
  return servicesFor(sim, 'RcLife', { ...DEFAULTS, ...environment });
}

/** What an operator does in Storage Explorer: an unconditional merge (or insert). */
async function operatorWrites(
  target: Services,
  role: TableRole,
  partitionKey: string,
  rowKey: string,
  properties: EntityProperties,
): Promise<void> {
  const client = await tablesOf(target).table(role);
  await client.upsertEntity({ partitionKey, rowKey, ...properties }, 'Merge');
}

async function operatorDeletes(
  target: Services,
  role: TableRole,
  partitionKey: string,
  rowKey: string,
): Promise<void> {
  const client = await tablesOf(target).table(role);
  await client.deleteEntity(partitionKey, rowKey);
}

/** A membership an operator added by hand: both sides, `source = manual`. */
async function manualMembership(target: Services, teamId: string, userId: string, role = 'user') {
  const addedAt = '2026-01-01T00:00:00.000Z';
  await operatorWrites(target, 'teams', teamId, `member:${userId}`, {
    userId,
    role,
    source: 'manual',
    addedAt,
  });
  await operatorWrites(target, 'users', userId, `team:${teamId}`, {
    teamId,
    role,
    source: 'manual',
    addedAt,
  });
}

async function entity(target: Services, role: TableRole, partitionKey: string, rowKey: string) {
  const client = await tablesOf(target).table(role);
  return client.getEntity(partitionKey, rowKey);
}

describe('a first run', () => {
  it('creates the team, its members (nested included) and their users, with the defaults once', async () => {
    const target = services();
    const record = await run(target);
    expect(record.outcome).toBe('succeeded');
    expect(record.summary).toMatchObject({
      groups: 1,
      teamsCreated: 1,
      // the 4 members, and Gus, assigned to the app directly (no team)
      usersCreated: 5,
      membershipsAdded: 4,
      membershipsRemoved: 0,
      incompleteGroups: 0,
      failedWrites: 0,
      // team row + 5 users + 4 x 2 membership sides
      tableWrites: 14,
    });
    expect(record.summary?.graphRequests).toBeGreaterThan(0);
    await expectTablesMatchEntra(target, sim.admin.getState());

    // Property types as the proxy reads them.
    const team = await entity(target, 'teams', S.evals, 'team');
    expect(team).toMatchObject({
      teamAlias: 'Production LLM Evals Group',
      source: 'entra',
      entraGroupId: S.evals,
      entraDisplayName: 'Production LLM Evals Group',
      maxBudget: 100,
      budgetDuration: '30d',
      models: '["gpt-3.5-turbo"]',
      tpmLimit: 100000,
      rpmLimit: 1000,
      teamMemberPermissions: '[]',
      archived: false,
      createdBy: 'reconcile',
    });
    expect(new Date(String(team.createdAt)).toISOString()).toBe(team.createdAt);
    const ava = await entity(target, 'users', S.ava, 'user');
    expect(ava).toMatchObject({
      userEmail: 'ava.patel@mishikallm.onmicrosoft.com',
      // Ava holds proxy_admin directly, besides the evals group's internal_user.
      userRole: 'proxy_admin',
      entraRole: 'proxy_admin',
      maxBudget: 10,
      models: '[]',
      source: 'entra',
      accountEnabled: true,
      deletedInEntra: false,
    });
    expect(ava.lastSignInAt).toBeUndefined();
    expect(await entity(target, 'teams', S.evals, `member:${S.dana}`)).toMatchObject({
      userId: S.dana,
      role: 'user',
      source: 'entra',
      userEmail: 'dana.kowalski@mishikallm.onmicrosoft.com',
    });
    expect(await entity(target, 'users', S.dana, `team:${S.evals}`)).toMatchObject({
      teamId: S.evals,
      role: 'user',
      source: 'entra',
    });
    // Gus is assigned directly (a user, not a group) and in no assigned group: a user, no team.
    // His LLM.Viewer maps to nothing here (no role_mappings), so he has the default role.
    const gus = await target.repository.readUser(S.gus);
    expect(gus.user).toMatchObject({ userRole: 'internal_user', entraRole: 'internal_user' });
    expect(gus.teams.size).toBe(0);

    // One audit entry per change, in the run's partition.
    const audit = await target.repository.runAudit(record.runId);
    expect(audit).toHaveLength(10);
    expect(audit[0]).toMatchObject({
      rowKey: '0000000',
      kind: 'team-created',
      teamId: S.evals,
      outcome: 'applied',
    });
    expect(audit.filter((entry) => entry.kind === 'membership-added')).toHaveLength(4);
  });

  it('is followed by a run that writes nothing at all to Teams and Users', async () => {
    const target = services();
    await run(target);
    const before = await snapshot(target);
    const second = await run(target);
    expect(second.outcome).toBe('succeeded');
    expect(second.summary).toMatchObject({ tableWrites: 0, teamsCreated: 0, usersUpdated: 0 });
    expect(await snapshot(target)).toEqual(before);
    expect(await target.repository.runAudit(second.runId)).toEqual([]);
    const runs = await target.repository.recentRuns(10);
    expect(runs.map((r) => r.runId)).toEqual([second.runId, expect.any(String)]);
  });
});

describe('renames', () => {
  it('the alias follows the group while nobody chose another; an operator alias is kept', async () => {
    const target = services();
    await run(target);

    sim.admin.renameGroup(S.evals, 'LLM Evals');
    const renamed = await run(target);
    expect(renamed.summary).toMatchObject({ teamsRenamed: 1, tableWrites: 1 });
    expect(await entity(target, 'teams', S.evals, 'team')).toMatchObject({
      teamAlias: 'LLM Evals',
      entraDisplayName: 'LLM Evals',
    });

    await operatorWrites(target, 'teams', S.evals, 'team', { teamAlias: 'Evaluations' });
    sim.admin.renameGroup(S.evals, 'LLM Evals (prod)');
    const kept = await run(target);
    expect(kept.summary).toMatchObject({ teamsRenamed: 1 });
    expect(await entity(target, 'teams', S.evals, 'team')).toMatchObject({
      teamAlias: 'Evaluations',
      entraDisplayName: 'LLM Evals (prod)',
    });
    const audit = await target.repository.runAudit(kept.runId);
    expect(audit).toEqual([
      expect.objectContaining({
        kind: 'team-renamed',
        reason: expect.stringContaining('alias chosen by an operator kept') as string,
      }),
    ]);
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });
});

describe('assignment', () => {
  it('archives an unassigned group (Entra members removed, manual kept) and restores it', async () => {
    sim.admin.assignGroup(S.prodTeam);
    const target = services();
    await run(target);
    await manualMembership(target, S.evals, S.elif, 'admin');

    sim.admin.unassignGroup(S.evals);
    const archived = await run(target);
    expect(archived.outcome).toBe('succeeded');
    expect(archived.summary).toMatchObject({ teamsArchived: 1, membershipsRemoved: 4 });
    const team = await entity(target, 'teams', S.evals, 'team');
    expect(team).toMatchObject({
      archived: true,
      archivedReason: 'group no longer assigned to the app (or deleted)',
    });
    expect(typeof team.archivedAt).toBe('string');
    expect(await entraMembers(target, S.evals)).toEqual({
      teamSide: new Set(),
      userSide: new Set(),
    });
    const members = (await target.repository.readTeam(S.evals)).members;
    expect([...members.keys()]).toEqual([S.elif]);
    expect(members.get(S.elif)).toMatchObject({ source: 'manual', role: 'admin' });
    expect((await target.repository.readUser(S.elif)).teams.get(S.evals)?.source).toBe('manual');
    // Users are never deleted; Ava stays a member of the other team.
    expect((await target.repository.readUser(S.ben)).user).toBeDefined();
    expect((await target.repository.readUser(S.ava)).teams.has(S.prodTeam)).toBe(true);
    await expectTablesMatchEntra(target, sim.admin.getState());

    sim.admin.assignGroup(S.evals);
    const restored = await run(target);
    expect(restored.summary).toMatchObject({ teamsRestored: 1, membershipsAdded: 4 });
    expect(await entity(target, 'teams', S.evals, 'team')).toMatchObject({
      archived: false,
      archivedAt: '',
      archivedReason: '',
    });
    await expectTablesMatchEntra(target, sim.admin.getState());
    expect((await target.repository.readTeam(S.evals)).members.get(S.elif)?.source).toBe('manual');
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });

  it('archives the team of a deleted group', async () => {
    sim.admin.assignGroup(S.prodTeam);
    const target = services();
    await run(target);
    sim.admin.deleteGroup(S.evals);
    const record = await run(target);
    expect(record.outcome).toBe('succeeded');
    expect(record.summary).toMatchObject({ teamsArchived: 1, membershipsRemoved: 4 });
    expect(await entity(target, 'teams', S.evals, 'team')).toMatchObject({ archived: true });
    // Chen and Dana were only in the deleted group: their rows stay.
    expect((await target.repository.readUser(S.chen)).user).toMatchObject({
      deletedInEntra: false,
    });
    await expectTablesMatchEntra(target, sim.admin.getState());
  });
});

describe('users', () => {
  it('removes a user who left the group (directly or from the nested group), keeping the user', async () => {
    const target = services();
    await run(target);
    sim.admin.removeMember(S.evals, S.ben);
    sim.admin.removeMember(S.contractors, S.chen);
    const record = await run(target);
    expect(record.summary).toMatchObject({ membershipsRemoved: 2, tableWrites: 4 });
    expect((await entraMembers(target, S.evals)).teamSide).toEqual(new Set([S.ava, S.dana]));
    expect((await target.repository.readUser(S.ben)).user).toMatchObject({ deletedInEntra: false });
    await expectTablesMatchEntra(target, sim.admin.getState());
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });

  it('follows a disabled user and profile changes, keeping the memberships', async () => {
    const target = services();
    await run(target);
    sim.admin.disableUser(S.ava);
    sim.admin.updateUser(S.chen, { displayName: 'Chen Wei (contractor)' });
    const record = await run(target);
    expect(record.summary).toMatchObject({
      usersUpdated: 2,
      membershipsRemoved: 0,
      tableWrites: 2,
    });
    expect(await entity(target, 'users', S.ava, 'user')).toMatchObject({ accountEnabled: false });
    expect((await target.repository.readUser(S.chen)).user?.displayName).toBe(
      'Chen Wei (contractor)',
    );
    await expectTablesMatchEntra(target, sim.admin.getState());
  });

  it('marks a deleted user deletedInEntra, removes their memberships and keeps the row', async () => {
    const target = services();
    await run(target);
    sim.admin.deleteUser(S.ben);
    const record = await run(target);
    expect(record.summary).toMatchObject({ usersUpdated: 1, membershipsRemoved: 1 });
    const ben = await target.repository.readUser(S.ben);
    expect(ben.user).toMatchObject({
      deletedInEntra: true,
      userEmail: expect.any(String) as string,
    });
    expect(ben.teams.size).toBe(0);
    expect((await target.repository.readTeam(S.evals)).members.has(S.ben)).toBe(false);
    // Deleted users are not asked about again.
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });

  it('asks Graph about team members no group lists, and not about users in no team', async () => {
    const target = services();
    await run(target);
    // Gus is in no synced group but an operator made him a manual member; Farah has a user row
    // (say, from a sign-in) and no team at all.
    await manualMembership(target, S.evals, S.gus);
    await operatorWrites(target, 'users', S.farah, 'user', {
      userEmail: 'farah@x',
      source: 'entra',
    });
    sim.resetCounters();
    await run(target);
    // One user lookup: Gus, not Farah.
    expect(sim.counters().requestsByRoute['GET /v1.0/users/{id}']).toBe(1);

    sim.admin.deleteUser(S.gus);
    sim.admin.deleteUser(S.farah);
    await run(target);
    expect((await target.repository.readUser(S.gus)).user?.deletedInEntra).toBe(true);
    expect((await target.repository.readUser(S.gus)).teams.get(S.evals)?.source).toBe('manual');
    expect((await target.repository.readUser(S.farah)).user?.deletedInEntra).not.toBe(true);
  });
});

describe('nested groups', () => {
  it('follows a change in a nested group (transitive, the default)', async () => {
    const target = services();
    await run(target);
    sim.admin.addMember(S.contractors, S.elif);
    const added = await run(target);
    expect(added.summary).toMatchObject({ usersCreated: 1, membershipsAdded: 1 });
    expect((await entraMembers(target, S.evals)).teamSide.has(S.elif)).toBe(true);

    sim.admin.removeMember(S.evals, S.contractors);
    const removed = await run(target);
    expect(removed.summary).toMatchObject({ membershipsRemoved: 3 });
    expect((await entraMembers(target, S.evals)).teamSide).toEqual(new Set([S.ava, S.ben]));
    await expectTablesMatchEntra(target, sim.admin.getState());
  });

  it('with GROUP_MEMBERSHIP=direct, counts only direct members', async () => {
    const target = services({ GROUP_MEMBERSHIP: 'direct' });
    const first = await run(target);
    // Ava and Ben, and Gus (assigned directly).
    expect(first.summary).toMatchObject({ membershipsAdded: 2, usersCreated: 3 });
    await expectTablesMatchEntra(target, sim.admin.getState(), 'direct');
    sim.admin.addMember(S.contractors, S.elif);
    expect((await run(target)).summary?.tableWrites).toBe(0);
    sim.admin.addMember(S.evals, S.elif);
    expect((await run(target)).summary).toMatchObject({ membershipsAdded: 1 });
    await expectTablesMatchEntra(target, sim.admin.getState(), 'direct');
  });
});

describe('what belongs to the operator', () => {
  it('keeps manual memberships and operator edits of teams and users', async () => {
    const target = services();
    await run(target);
    await operatorWrites(target, 'teams', S.evals, 'team', {
      maxBudget: 5000,
      models: '["gpt-4o","claude-3"]',
      teamAlias: 'Evals',
      costCenter: 'CC-42',
    });
    await operatorWrites(target, 'users', S.ava, 'user', {
      maxBudget: 50,
      userRole: 'proxy_admin',
      notes: 'on call',
    });
    await operatorWrites(target, 'users', S.elif, 'user', {
      userEmail: 'elif.demir@mishikallm.onmicrosoft.com',
      displayName: 'Elif Demir',
      userPrincipalName: 'elif.demir@mishikallm.onmicrosoft.com',
      source: 'manual',
    });
    await manualMembership(target, S.evals, S.elif);
    // Ben made an admin by hand: the membership becomes the operator's.
    await manualMembership(target, S.evals, S.ben, 'admin');

    sim.admin.renameGroup(S.evals, 'LLM Evals');
    sim.admin.removeMember(S.evals, S.ben);
    sim.admin.updateUser(S.ava, { displayName: 'Ava Patel-Smith' });
    const record = await run(target);
    expect(record.summary).toMatchObject({
      teamsRenamed: 1,
      // Ava's profile, and Elif's row (written by hand) gets the Entra role it implies.
      usersUpdated: 2,
      membershipsRemoved: 0,
    });

    expect(await entity(target, 'teams', S.evals, 'team')).toMatchObject({
      maxBudget: 5000,
      models: '["gpt-4o","claude-3"]',
      teamAlias: 'Evals',
      entraDisplayName: 'LLM Evals',
      costCenter: 'CC-42',
      budgetDuration: '30d',
    });
    expect(await entity(target, 'users', S.ava, 'user')).toMatchObject({
      maxBudget: 50,
      userRole: 'proxy_admin',
      notes: 'on call',
      displayName: 'Ava Patel-Smith',
    });
    const team = await target.repository.readTeam(S.evals);
    expect(team.members.get(S.elif)).toMatchObject({ source: 'manual', role: 'user' });
    expect(team.members.get(S.ben)).toMatchObject({ source: 'manual', role: 'admin' });
    expect((await target.repository.readUser(S.ben)).teams.get(S.evals)).toMatchObject({
      source: 'manual',
      role: 'admin',
    });
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });

  it('repairs a half-written membership from either side', async () => {
    const target = services();
    await run(target);
    await operatorDeletes(target, 'users', S.ben, `team:${S.evals}`);
    await operatorDeletes(target, 'teams', S.evals, `member:${S.chen}`);
    // A mirror pointing at a team that does not exist and was never synced.
    await operatorWrites(target, 'users', S.dana, 'team:0badc0de-0000-4000-8000-000000000000', {
      teamId: '0badc0de-0000-4000-8000-000000000000',
      role: 'user',
      source: 'entra',
      addedAt: '2026-01-01T00:00:00.000Z',
    });
    const record = await run(target);
    expect(record.summary).toMatchObject({
      membershipsRepaired: 2,
      membershipsRemoved: 1,
      tableWrites: 3,
    });
    await expectTablesMatchEntra(target, sim.admin.getState());
    expect(await entity(target, 'teams', S.evals, `member:${S.chen}`)).toMatchObject({
      source: 'entra',
      userEmail: 'chen.wei@mishikallm.onmicrosoft.com',
    });
    expect((await target.repository.readUser(S.dana)).teams.size).toBe(1);
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });
});

describe('the mass-removal guard', () => {
  it('holds limit + 1 removals (applying additions), applies exactly the limit, and releases', async () => {
    const target = services({ MAX_MEMBERSHIP_REMOVALS_PER_RUN: '2' });
    await run(target);
    sim.admin.removeMember(S.evals, S.ava);
    sim.admin.removeMember(S.evals, S.ben);
    sim.admin.removeMember(S.contractors, S.chen);
    sim.admin.addMember(S.evals, S.elif);
    const held = await run(target);
    expect(held.outcome).toBe('held');
    expect(held.summary).toMatchObject({
      membershipsAdded: 1,
      membershipsRemoved: 0,
      membershipsHeld: 3,
    });
    expect(held.holdReason).toContain('MAX_MEMBERSHIP_REMOVALS_PER_RUN (2)');
    expect(held.held).toHaveLength(3);
    expect(held.held[0]).toMatchObject({
      kind: 'membership-removed',
      teamId: S.evals,
      reason: 'no longer a member of the group in Entra ID',
    });
    expect((await entraMembers(target, S.evals)).teamSide).toEqual(
      new Set([S.ava, S.ben, S.chen, S.dana, S.elif]),
    );
    const audit = await target.repository.runAudit(held.runId);
    expect(audit.filter((entry) => entry.outcome === 'held')).toHaveLength(3);
    // The record as stored says the same.
    const [stored] = await target.repository.recentRuns(1);
    expect(stored).toMatchObject({ runId: held.runId, outcome: 'held', held: held.held });

    // Still held on the next run: nothing changed.
    expect((await run(target)).outcome).toBe('held');

    // Released for one run by the operator.
    const released = await run(target, { maxMembershipRemovals: 3 });
    expect(released.outcome).toBe('succeeded');
    expect(released.summary).toMatchObject({ membershipsRemoved: 3, membershipsHeld: 0 });
    await expectTablesMatchEntra(target, sim.admin.getState());

    // Exactly the limit goes through on its own.
    sim.admin.removeMember(S.evals, S.elif);
    sim.admin.removeMember(S.contractors, S.dana);
    const atLimit = await run(target);
    expect(atLimit.outcome).toBe('succeeded');
    expect(atLimit.summary).toMatchObject({ membershipsRemoved: 2, membershipsHeld: 0 });
  });

  it('holds an archive with its removals', async () => {
    sim.admin.assignGroup(S.prodTeam);
    const target = services({ MAX_MEMBERSHIP_REMOVALS_PER_RUN: '3' });
    await run(target);
    sim.admin.unassignGroup(S.evals);
    const held = await run(target);
    expect(held.outcome).toBe('held');
    expect(held.summary).toMatchObject({ teamsHeld: 1, membershipsHeld: 4, teamsArchived: 0 });
    expect(await entity(target, 'teams', S.evals, 'team')).toMatchObject({ archived: false });
  });
});

describe('an empty assignment list', () => {
  it('is refused while synced teams exist, recorded as a failed run, and released on request', async () => {
    const target = services();
    await run(target);
    sim.admin.unassignGroup(S.evals);
    const before = await snapshot(target);

    const error: unknown = await reconcile(target, { trigger: 'cli' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isServiceError(error, 'sync_refused')).toBe(true);
    expect((error as Error).message).toContain('--allow-empty-assignments');
    expect(await snapshot(target)).toEqual(before);
    const [failed] = await target.repository.recentRuns(1);
    expect(failed).toMatchObject({
      outcome: 'failed',
      error: { code: 'sync_refused' },
      endedAt: expect.any(String) as string,
    });

    const allowed = await run(target, { allowEmptyAssignments: true });
    expect(allowed.outcome).toBe('succeeded');
    expect(allowed.summary).toMatchObject({ groups: 0, teamsArchived: 1, membershipsRemoved: 4 });
    await expectTablesMatchEntra(target, sim.admin.getState());
    // Once everything is archived, an empty list is no longer a surprise.
    expect((await run(target)).summary?.tableWrites).toBe(0);
  });

  it('is fine on a first run (no synced team yet)', async () => {
    sim.admin.unassignGroup(S.evals);
    // Nobody assigned at all: the users assigned directly would otherwise get rows.
    sim.admin.unassignUser(S.ava);
    sim.admin.unassignUser(S.gus);
    const record = await run(services());
    expect(record).toMatchObject({ outcome: 'succeeded', summary: { groups: 0, tableWrites: 0 } });
  });
});

describe('a dry run', () => {
  it('plans the changes and leaves every table byte-for-byte as it was, run records included', async () => {
    const target = services();
    await run(target);
    sim.admin.renameGroup(S.evals, 'LLM Evals');
    sim.admin.removeMember(S.evals, S.ben);
    sim.admin.addMember(S.evals, S.elif);
    const roles: TableRole[] = ['teams', 'users', 'runs', 'audit', 'state'];
    const before = await snapshot(target, roles);

    const { record, plan } = await reconcile(target, { trigger: 'cli', dryRun: true });
    expect(record.summary).toMatchObject({
      teamsRenamed: 1,
      membershipsAdded: 1,
      membershipsRemoved: 1,
      usersCreated: 1,
      tableWrites: 0,
    });
    expect(plan?.operations.map((operation) => operation.kind).sort()).toEqual([
      'membership-added',
      'membership-removed',
      'team-renamed',
      'user-created',
    ]);
    expect(await snapshot(target, roles)).toEqual(before);
    expect((await target.repository.recentRuns(10)).map((r) => r.runId)).not.toContain(
      record.runId,
    );
    expect(await tableContents(target, 'audit')).toEqual(before.audit);
  });
});
