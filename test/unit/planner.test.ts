import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/errors.js';
import { writesForAll } from '../../shared/store/operation-writes.js';
import { rowsAfter } from '../../shared/store/rows-after.js';
import type {
  CurrentState,
  Stored,
  Team,
  TeamMember,
  User,
  UserProfile,
  UserTeamLink,
} from '../../shared/sync/model.js';
import { teamOf, userOf } from '../../shared/sync/operations.js';
import {
  planSync,
  type DesiredState,
  type Plan,
  type PlanOptions,
} from '../../shared/sync/planner.js';
import { summarise } from '../../shared/sync/summary.js';

const NOW = '2026-11-30T12:00:00.000Z';
const EARLIER = '2026-11-01T12:00:00.000Z';
const EVALS = 'e0000000-0000-4000-8000-000000000001';
const PROD = 'e0000000-0000-4000-8000-000000000002';
const ADA = 'a0000000-0000-4000-8000-000000000001';
const BOB = 'a0000000-0000-4000-8000-000000000002';
const CAROL = 'a0000000-0000-4000-8000-000000000003';

/** The entity writes the repository makes of a plan: the contract the proxy reads. */
function planWrites(plan: Plan) {
  return writesForAll(plan.operations).writes;
}

/** The summary of the plan as a dry run reports it: every operation counted as made. */
function planSummary(plan: Plan) {
  return summarise(
    plan.operations.map((operation) => ({
      operation,
      outcome: 'planned' as const,
      writes: { applied: 0, conflicts: 0, failed: 0 },
    })),
    plan.held,
  );
}

const options: PlanOptions = {
  now: NOW,
  actor: 'reconcile',
  defaults: {
    team: {
      max_budget: 100,
      budget_duration: '30d',
      models: ['gpt-3.5-turbo'],
      tpm_limit: 100000,
      rpm_limit: 1000,
    },
    user: { user_role: 'internal_user', max_budget: 10, budget_duration: '30d', models: [] },
  },
  maxMembershipRemovals: 500,
};

function profile(userId: string, name: string): UserProfile {
  return {
    userId,
    userEmail: `${name.toLowerCase()}@contoso.example`,
    displayName: name,
    userPrincipalName: `${name.toLowerCase()}@contoso.example`,
    accountEnabled: true,
  };
}

const PROFILES = new Map([
  [ADA, profile(ADA, 'Ada')],
  [BOB, profile(BOB, 'Bob')],
  [CAROL, profile(CAROL, 'Carol')],
]);

function storedTeam(teamId: string, name: string, overrides: Partial<Team> = {}): Stored<Team> {
  return {
    teamId,
    teamAlias: name,
    source: 'entra',
    entraGroupId: teamId,
    entraDisplayName: name,
    maxBudget: 100,
    budgetDuration: '30d',
    models: ['gpt-3.5-turbo'],
    teamMemberPermissions: [],
    archived: false,
    createdAt: EARLIER,
    createdBy: 'reconcile',
    etag: `etag-team-${teamId}`,
    ...overrides,
  };
}

function storedUser(userId: string, overrides: Partial<User> = {}): Stored<User> {
  const base = PROFILES.get(userId) ?? profile(userId, 'Someone');
  return {
    ...base,
    userRole: 'internal_user',
    models: [],
    source: 'entra',
    deletedInEntra: false,
    createdAt: EARLIER,
    etag: `etag-user-${userId}`,
    ...overrides,
  };
}

interface Pair {
  teamId: string;
  userId: string;
  source?: 'entra' | 'manual';
  side?: 'both' | 'team' | 'user';
}

/** Builds the tables' state: teams with their rows, users, and membership pairs. */
function current(teams: Stored<Team>[], users: string[], pairs: Pair[]): CurrentState {
  const teamRecords = new Map<
    string,
    { teamId: string; team: Stored<Team> | undefined; members: Map<string, Stored<TeamMember>> }
  >();
  for (const team of teams)
    teamRecords.set(team.teamId, { teamId: team.teamId, team, members: new Map() });
  const userRecords = new Map<
    string,
    { userId: string; user: Stored<User> | undefined; teams: Map<string, Stored<UserTeamLink>> }
  >();
  for (const userId of users)
    userRecords.set(userId, { userId, user: storedUser(userId), teams: new Map() });
  for (const pair of pairs) {
    const source = pair.source ?? 'entra';
    if (pair.side !== 'user') {
      let record = teamRecords.get(pair.teamId);
      if (record === undefined)
        teamRecords.set(
          pair.teamId,
          (record = { teamId: pair.teamId, team: undefined, members: new Map() }),
        );
      record.members.set(pair.userId, {
        teamId: pair.teamId,
        userId: pair.userId,
        role: 'user',
        source,
        addedAt: EARLIER,
        userEmail: PROFILES.get(pair.userId)?.userEmail,
        etag: `etag-m-${pair.teamId}-${pair.userId}`,
      });
    }
    if (pair.side !== 'team') {
      let record = userRecords.get(pair.userId);
      if (record === undefined)
        userRecords.set(
          pair.userId,
          (record = { userId: pair.userId, user: undefined, teams: new Map() }),
        );
      record.teams.set(pair.teamId, {
        userId: pair.userId,
        teamId: pair.teamId,
        role: 'user',
        source,
        addedAt: EARLIER,
        etag: `etag-l-${pair.userId}-${pair.teamId}`,
      });
    }
  }
  return {
    teams: teamRecords,
    users: userRecords,
  };
}

function tenant(
  groups: Record<string, { name: string; members?: string[] }>,
  extra: Partial<DesiredState> = {},
): DesiredState {
  const assignedGroups = new Map(
    Object.entries(groups).map(([id, group]) => [id, { displayName: group.name }]),
  );
  const members = new Map<string, ReadonlySet<string>>();
  const users = new Map<string, UserProfile | null>();
  for (const [id, group] of Object.entries(groups)) {
    if (group.members === undefined) continue;
    members.set(id, new Set(group.members));
    for (const userId of group.members)
      users.set(userId, PROFILES.get(userId) ?? profile(userId, 'Someone'));
  }
  return { scope: { kind: 'tenant' }, assignedGroups, members, users, ...extra };
}

function kinds(desired: DesiredState, state: CurrentState, planOptions: PlanOptions = options) {
  return labels(planSync(desired, state, planOptions).operations);
}

function labels(operations: Plan['operations']) {
  return operations.map((operation) =>
    [operation.kind, teamOf(operation), userOf(operation)]
      .filter((part) => part !== undefined)
      .join(' '),
  );
}

describe('the planner: teams', () => {
  it('creates a team for an assigned group with the default team params, named after the group', () => {
    const plan = planSync(
      tenant({ [EVALS]: { name: 'Production LLM Evals Group', members: [] } }),
      current([], [], []),
      options,
    );
    expect(plan.operations).toHaveLength(1);
    const [write] = planWrites(plan);
    expect(write).toEqual({
      table: 'teams',
      action: 'create',
      partitionKey: EVALS,
      rowKey: 'team',
      properties: {
        teamAlias: 'Production LLM Evals Group',
        source: 'entra',
        entraGroupId: EVALS,
        entraDisplayName: 'Production LLM Evals Group',
        maxBudget: 100,
        budgetDuration: '30d',
        models: '["gpt-3.5-turbo"]',
        tpmLimit: 100000,
        rpmLimit: 1000,
        teamMemberPermissions: '[]',
        archived: false,
        createdAt: NOW,
        createdBy: 'reconcile',
      },
    });
  });

  it('never rewrites the budget, models or limits of an existing team', () => {
    const edited = storedTeam(EVALS, 'Evals', {
      maxBudget: 5000,
      models: ['gpt-4o'],
      tpmLimit: 1,
      budgetDuration: '1mo',
    });
    expect(
      kinds(tenant({ [EVALS]: { name: 'Evals', members: [] } }), current([edited], [], [])),
    ).toEqual([]);
  });

  it('renames: the alias follows the group while it still equals the old group name', () => {
    const plan = planSync(
      tenant({ [EVALS]: { name: 'LLM Evals', members: [] } }),
      current([storedTeam(EVALS, 'Evals')], [], []),
      options,
    );
    expect(plan.operations.map((operation) => operation.kind)).toEqual(['team-renamed']);
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({
        action: 'merge',
        etag: `etag-team-${EVALS}`,
        properties: { entraDisplayName: 'LLM Evals', teamAlias: 'LLM Evals' },
      }),
    ]);
  });

  it('renames: an alias an operator chose is kept', () => {
    const team = storedTeam(EVALS, 'Evals', { teamAlias: 'The Evals Guild' });
    const plan = planSync(
      tenant({ [EVALS]: { name: 'LLM Evals', members: [] } }),
      current([team], [], []),
      options,
    );
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({ properties: { entraDisplayName: 'LLM Evals' } }),
    ]);
    expect(plan.operations[0]?.reason).toContain('alias chosen by an operator kept');
  });

  it('archives a synced team whose group is no longer assigned and removes only its entra memberships', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB, source: 'manual' },
      ],
    );
    const plan = planSync(tenant({ [PROD]: { name: 'Prod', members: [] } }), state, options);
    expect(labels(plan.operations)).toEqual([
      `team-archived ${EVALS}`,
      `membership-removed ${EVALS} ${ADA}`,
    ]);
    expect(planWrites(plan)[0]).toMatchObject({
      properties: {
        archived: true,
        archivedAt: NOW,
        archivedReason: 'group no longer assigned to the app (or deleted)',
      },
    });
  });

  it('restores an archived team whose group is assigned again, keeping its settings', () => {
    const archived = storedTeam(EVALS, 'Evals', {
      archived: true,
      archivedAt: EARLIER,
      archivedReason: 'x',
      maxBudget: 7,
    });
    const plan = planSync(
      tenant({ [EVALS]: { name: 'Evals', members: [] } }),
      current([archived], [], []),
      options,
    );
    expect(plan.operations.map((operation) => operation.kind)).toEqual(['team-restored']);
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({
        properties: { archived: false, archivedAt: '', archivedReason: '' },
      }),
    ]);
  });

  it('leaves a team made by hand alone, even when it is not assigned', () => {
    const manual = storedTeam(EVALS, 'Hand made', { source: 'manual' });
    const state = current(
      [manual, storedTeam(PROD, 'Prod')],
      [ADA],
      [{ teamId: EVALS, userId: ADA, source: 'manual' }],
    );
    expect(kinds(tenant({ [PROD]: { name: 'Prod', members: [] } }), state)).toEqual([]);
  });

  it('does not archive anything on a sign-in', () => {
    const state = current([storedTeam(EVALS, 'Evals')], [ADA], [{ teamId: EVALS, userId: ADA }]);
    const desired: DesiredState = {
      scope: { kind: 'user', userId: ADA },
      assignedGroups: new Map(),
      members: new Map([[EVALS, new Set<string>()]]),
      users: new Map([[ADA, PROFILES.get(ADA) ?? null]]),
    };
    expect(kinds(desired, state, { ...options, actor: 'signin' })).toEqual([
      `user-signed-in ${ADA}`,
      `membership-removed ${EVALS} ${ADA}`,
    ]);
  });

  it('refuses an empty assignment list while synced teams exist', () => {
    let caught: unknown;
    try {
      planSync(tenant({}), current([storedTeam(EVALS, 'Evals')], [], []), options);
    } catch (error) {
      caught = error;
    }
    expect(isServiceError(caught, 'sync_refused')).toBe(true);
    expect((caught as Error).message).toContain('1 synced team(s)');
  });

  it('archives everything on an empty assignment list only with explicit consent', () => {
    expect(
      kinds(tenant({}), current([storedTeam(EVALS, 'Evals')], [], []), {
        ...options,
        allowEmptyAssignments: true,
      }),
    ).toEqual([`team-archived ${EVALS}`]);
  });
});

describe('the planner: memberships', () => {
  it('adds a membership on both sides, and creates the user with the default user params', () => {
    const plan = planSync(
      tenant({ [EVALS]: { name: 'Evals', members: [ADA] } }),
      current([storedTeam(EVALS, 'Evals')], [], []),
      options,
    );
    expect(plan.operations.map((operation) => operation.kind)).toEqual([
      'user-created',
      'membership-added',
    ]);
    expect(planWrites(plan)).toEqual([
      {
        table: 'users',
        action: 'create',
        partitionKey: ADA,
        rowKey: 'user',
        properties: {
          userEmail: 'ada@contoso.example',
          displayName: 'Ada',
          userPrincipalName: 'ada@contoso.example',
          userRole: 'internal_user',
          maxBudget: 10,
          budgetDuration: '30d',
          models: '[]',
          source: 'entra',
          accountEnabled: true,
          deletedInEntra: false,
          createdAt: NOW,
        },
      },
      {
        table: 'teams',
        action: 'create',
        partitionKey: EVALS,
        rowKey: `member:${ADA}`,
        properties: {
          userId: ADA,
          role: 'user',
          source: 'entra',
          addedAt: NOW,
          userEmail: 'ada@contoso.example',
        },
      },
      {
        table: 'users',
        action: 'create',
        partitionKey: ADA,
        rowKey: `team:${EVALS}`,
        properties: { teamId: EVALS, role: 'user', source: 'entra', addedAt: NOW },
      },
    ]);
  });

  it('removes an entra membership whose user left the group, conditional on the ETags read', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB },
      ],
    );
    const plan = planSync(tenant({ [EVALS]: { name: 'Evals', members: [ADA] } }), state, options);
    expect(planWrites(plan)).toEqual([
      {
        table: 'teams',
        action: 'delete',
        partitionKey: EVALS,
        rowKey: `member:${BOB}`,
        etag: `etag-m-${EVALS}-${BOB}`,
      },
      {
        table: 'users',
        action: 'delete',
        partitionKey: BOB,
        rowKey: `team:${EVALS}`,
        etag: `etag-l-${BOB}-${EVALS}`,
      },
    ]);
  });

  it('never removes, demotes or converts a manual membership', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA, source: 'manual' },
        { teamId: EVALS, userId: BOB, source: 'manual' },
      ],
    );
    // Ada is in the group (would be added as entra), Bob is not (would be removed if entra).
    expect(kinds(tenant({ [EVALS]: { name: 'Evals', members: [ADA] } }), state)).toEqual([]);
  });

  it('leaves the memberships of a group whose members could not be read exactly as they are', () => {
    const state = current([storedTeam(EVALS, 'Evals')], [ADA], [{ teamId: EVALS, userId: ADA }]);
    expect(kinds(tenant({ [EVALS]: { name: 'Evals' } }), state)).toEqual([]);
  });

  it('repairs a membership written only on the team side', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals')],
      [ADA],
      [{ teamId: EVALS, userId: ADA, side: 'team' }],
    );
    const plan = planSync(tenant({ [EVALS]: { name: 'Evals', members: [ADA] } }), state, options);
    expect(plan.operations.map((operation) => operation.kind)).toEqual(['membership-repaired']);
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({
        table: 'users',
        action: 'create',
        partitionKey: ADA,
        rowKey: `team:${EVALS}`,
      }),
    ]);
  });

  it('repairs a membership written only on the user side', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals')],
      [ADA],
      [{ teamId: EVALS, userId: ADA, side: 'user' }],
    );
    const plan = planSync(tenant({ [EVALS]: { name: 'Evals', members: [ADA] } }), state, options);
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({
        table: 'teams',
        action: 'create',
        partitionKey: EVALS,
        rowKey: `member:${ADA}`,
      }),
    ]);
  });

  it('removes the surviving half of an entra membership that should not exist', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals')],
      [ADA],
      [{ teamId: EVALS, userId: ADA, side: 'user' }],
    );
    const plan = planSync(tenant({ [EVALS]: { name: 'Evals', members: [] } }), state, options);
    expect(planWrites(plan)).toEqual([
      {
        table: 'users',
        action: 'delete',
        partitionKey: ADA,
        rowKey: `team:${EVALS}`,
        etag: `etag-l-${ADA}-${EVALS}`,
      },
    ]);
  });

  it('holds every removal and archive past the mass-removal guard, and still applies additions', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB },
      ],
    );
    const desired = tenant({
      [EVALS]: { name: 'Evals', members: [] },
      'e0000000-0000-4000-8000-000000000009': { name: 'New', members: [CAROL] },
    });
    const plan = planSync(desired, state, { ...options, maxMembershipRemovals: 1 });
    expect(plan.held.map((operation) => operation.kind)).toEqual([
      'team-archived',
      'membership-removed',
      'membership-removed',
    ]);
    expect(plan.operations.map((operation) => operation.kind)).toEqual([
      'team-created',
      'user-created',
      'membership-added',
    ]);
    expect(planSummary(plan)).toMatchObject({
      membershipsHeld: 2,
      teamsHeld: 1,
      membershipsRemoved: 0,
      membershipsAdded: 1,
    });
    expect(plan.holdReason).toContain(
      '2 membership removals exceed MAX_MEMBERSHIP_REMOVALS_PER_RUN (1)',
    );
  });

  it('lets exactly the limit of removals through', () => {
    const state = current([storedTeam(EVALS, 'Evals')], [ADA], [{ teamId: EVALS, userId: ADA }]);
    const plan = planSync(tenant({ [EVALS]: { name: 'Evals', members: [] } }), state, {
      ...options,
      maxMembershipRemovals: 1,
    });
    expect(plan.held).toEqual([]);
    expect(planSummary(plan).membershipsRemoved).toBe(1);
  });
});

describe('the planner: users', () => {
  it('keeps profile fields in step with Entra, and nothing else', () => {
    const state = current([], [ADA], []);
    const desired = tenant(
      {},
      {
        users: new Map([
          [ADA, { ...profile(ADA, 'Ada'), displayName: 'Ada King', accountEnabled: false }],
        ]),
      },
    );
    const plan = planSync(desired, state, options);
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({
        action: 'merge',
        partitionKey: ADA,
        properties: { displayName: 'Ada King', accountEnabled: false },
      }),
    ]);
  });

  it('marks a user deleted in Entra without deleting the row', () => {
    const plan = planSync(
      tenant({}, { users: new Map([[ADA, null]]) }),
      current([], [ADA], []),
      options,
    );
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({ action: 'merge', properties: { deletedInEntra: true } }),
    ]);
  });

  it('writes only lastSignInAt for a sign-in that changes nothing else', () => {
    const state = current([storedTeam(EVALS, 'Evals')], [ADA], [{ teamId: EVALS, userId: ADA }]);
    const desired: DesiredState = {
      scope: { kind: 'user', userId: ADA },
      assignedGroups: new Map([[EVALS, { displayName: 'Evals' }]]),
      members: new Map([[EVALS, new Set([ADA])]]),
      users: new Map([[ADA, PROFILES.get(ADA) ?? null]]),
    };
    const plan = planSync(desired, state, { ...options, actor: 'signin' });
    expect(planWrites(plan)).toEqual([
      {
        table: 'users',
        action: 'merge',
        partitionKey: ADA,
        rowKey: 'user',
        properties: { lastSignInAt: NOW },
        etag: `etag-user-${ADA}`,
      },
    ]);
  });

  it('plans nothing when the tables already match Entra', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB },
        { teamId: PROD, userId: BOB },
      ],
    );
    const desired = tenant({
      [EVALS]: { name: 'Evals', members: [ADA, BOB] },
      [PROD]: { name: 'Prod', members: [BOB] },
    });
    expect(planSync(desired, state, options).operations).toEqual([]);
  });
});

/** A `groups`-scope desired state: the scoped groups still assigned, with their members. */
function groupsScope(
  scoped: string[],
  groups: Record<string, { name: string; members?: string[] }>,
  extra: Partial<DesiredState> = {},
): DesiredState {
  return { ...tenant(groups), scope: { kind: 'groups', groupIds: new Set(scoped) }, ...extra };
}

/** The state after every operation of the plan was written: what the next sync would read. */
function afterApplying(state: CurrentState, plan: Plan): CurrentState {
  const results = planWrites(plan).map((write, index) => ({
    write,
    outcome: 'applied' as const,
    etag: `etag-after-${index}`,
  }));
  return rowsAfter(state, results);
}

describe('the planner: the groups scope', () => {
  it('creates the team of a scoped group with its members and their users, and stops there', () => {
    // Prod is assigned under another name and would be renamed by a full pass: not in scope.
    const state = current([storedTeam(PROD, 'Prod')], [BOB], [{ teamId: PROD, userId: BOB }]);
    const desired = groupsScope([EVALS], {
      [EVALS]: { name: 'Evals', members: [ADA, BOB] },
      [PROD]: { name: 'Prod renamed', members: [] },
    });
    const plan = planSync(desired, state, options);
    expect(labels(plan.operations)).toEqual([
      `team-created ${EVALS}`,
      `user-created ${ADA}`,
      `membership-added ${EVALS} ${ADA}`,
      `membership-added ${EVALS} ${BOB}`,
    ]);
    expect(planWrites(plan)[0]).toMatchObject({
      action: 'create',
      partitionKey: EVALS,
      properties: { teamAlias: 'Evals', source: 'entra', maxBudget: 100, createdBy: 'reconcile' },
    });
    expect(planSync(desired, afterApplying(state, plan), options).operations).toEqual([]);
  });

  it('renames and restores a scoped team and syncs its members: adds, removes, keeps manual ones', () => {
    const archived = storedTeam(EVALS, 'Evals', {
      archived: true,
      archivedAt: EARLIER,
      archivedReason: 'x',
    });
    const state = current(
      [archived],
      [ADA, BOB, CAROL],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB, source: 'manual' },
      ],
    );
    const desired = groupsScope([EVALS], { [EVALS]: { name: 'LLM Evals', members: [CAROL] } });
    const plan = planSync(desired, state, options);
    expect(labels(plan.operations)).toEqual([
      `team-renamed ${EVALS}`,
      `team-restored ${EVALS}`,
      `membership-removed ${EVALS} ${ADA}`,
      `membership-added ${EVALS} ${CAROL}`,
    ]);
    // The rename and the restore of one row are one merge, with the ETag both were planned on.
    expect(planWrites(plan)[0]).toEqual({
      table: 'teams',
      action: 'merge',
      partitionKey: EVALS,
      rowKey: 'team',
      properties: {
        entraDisplayName: 'LLM Evals',
        teamAlias: 'LLM Evals',
        archived: false,
        archivedAt: '',
        archivedReason: '',
      },
      etag: `etag-team-${EVALS}`,
    });
    expect(planSync(desired, afterApplying(state, plan), options).operations).toEqual([]);
  });

  it('archives a scoped team whose group is no longer assigned, and removes its entra members', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB, source: 'manual' },
        { teamId: PROD, userId: ADA },
      ],
    );
    // No scoped group is assigned any more: unlike a full pass, that is no reason to refuse.
    const desired = groupsScope([EVALS], {});
    const plan = planSync(desired, state, options);
    expect(labels(plan.operations)).toEqual([
      `team-archived ${EVALS}`,
      `membership-removed ${EVALS} ${ADA}`,
    ]);
    expect(planWrites(plan)[0]).toMatchObject({
      properties: { archived: true, archivedAt: NOW },
    });
    expect(planSync(desired, afterApplying(state, plan), options).operations).toEqual([]);
  });

  it('holds the removals and archives of a scoped sync past the mass-removal guard', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB },
      ],
    );
    const plan = planSync(groupsScope([EVALS], {}), state, {
      ...options,
      maxMembershipRemovals: 1,
    });
    expect(plan.operations).toEqual([]);
    expect(labels(plan.held)).toEqual([
      `team-archived ${EVALS}`,
      `membership-removed ${EVALS} ${ADA}`,
      `membership-removed ${EVALS} ${BOB}`,
    ]);
    expect(plan.holdReason).toContain('2 membership removals exceed');
  });

  it('holds every removal and archive a fanned-out run holds (holdRemovals), whatever their count, and applies the rest', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [{ teamId: EVALS, userId: ADA }],
    );
    const desired = groupsScope([EVALS, PROD], { [EVALS]: { name: 'Evals', members: [BOB] } });
    const plan = planSync(desired, state, { ...options, holdRemovals: 'the run holds them' });
    expect(labels(plan.held)).toEqual([
      `team-archived ${PROD}`,
      `membership-removed ${EVALS} ${ADA}`,
    ]);
    expect(labels(plan.operations)).toContain(`membership-added ${EVALS} ${BOB}`);
    expect(plan.holdReason).toBe('the run holds them');
    // Nothing to hold: no reason either.
    const quiet = planSync(
      groupsScope([EVALS], { [EVALS]: { name: 'Evals', members: [ADA] } }),
      state,
      { ...options, holdRemovals: 'the run holds them' },
    );
    expect(quiet.held).toEqual([]);
    expect(quiet.holdReason).toBeUndefined();
  });

  it('holds a scoped sync that would strip a large team of every Entra member, for the full pass', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB, CAROL],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB },
        { teamId: EVALS, userId: CAROL, source: 'manual' },
        { teamId: PROD, userId: ADA },
        { teamId: PROD, userId: BOB },
      ],
    );
    const guarded = { ...options, holdEmptiedTeamsFrom: 2 };
    // Evals' group lists nobody now; Prod loses one of two: only Evals is emptied.
    const desired = groupsScope([EVALS, PROD], {
      [EVALS]: { name: 'Evals', members: [] },
      [PROD]: { name: 'Prod', members: [ADA] },
    });
    const plan = planSync(desired, state, guarded);
    expect(labels(plan.operations)).toEqual([`membership-removed ${PROD} ${BOB}`]);
    expect(labels(plan.held)).toEqual([
      `membership-removed ${EVALS} ${ADA}`,
      `membership-removed ${EVALS} ${BOB}`,
    ]);
    expect(plan.holdReason).toContain(
      `every Entra member of team ${EVALS} (2): held for the full pass`,
    );

    // An unassigned (or deleted) group's archive is held with its removals.
    const archived = planSync(groupsScope([EVALS], {}), state, guarded);
    expect(archived.operations).toEqual([]);
    expect(labels(archived.held)).toEqual([
      `team-archived ${EVALS}`,
      `membership-removed ${EVALS} ${ADA}`,
      `membership-removed ${EVALS} ${BOB}`,
    ]);

    // Below the size, with someone left in the group, or in a full pass, nothing is held.
    const small = planSync(desired, state, { ...options, holdEmptiedTeamsFrom: 3 });
    expect(small.held).toEqual([]);
    const replaced = groupsScope([EVALS], { [EVALS]: { name: 'Evals', members: [CAROL] } });
    expect(planSync(replaced, state, guarded).held).toEqual([]);
    const fullPass = tenant({
      [EVALS]: { name: 'Evals', members: [] },
      [PROD]: { name: 'Prod', members: [ADA, BOB] },
    });
    expect(planSync(fullPass, state, guarded).held).toEqual([]);
  });

  it('holds in a groups scope what the last full pass held, and adds as usual', () => {
    // Found by the convergence suite: a full pass held these removals; a notification for the
    // team then applied them one sync at a time, and the guard held the run but not the drip.
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB, CAROL],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: EVALS, userId: BOB },
        { teamId: PROD, userId: BOB },
      ],
    );
    const standing = { ...options, standingHold: { runId: 'run-1', teamIds: new Set([EVALS]) } };
    const desired = groupsScope([EVALS, PROD], {
      [EVALS]: { name: 'Evals', members: [CAROL] },
      [PROD]: { name: 'Prod', members: [] },
    });
    const plan = planSync(desired, state, standing);
    expect(labels(plan.operations)).toEqual([
      `membership-added ${EVALS} ${CAROL}`,
      `membership-removed ${PROD} ${BOB}`,
    ]);
    expect(labels(plan.held)).toEqual([
      `membership-removed ${EVALS} ${ADA}`,
      `membership-removed ${EVALS} ${BOB}`,
    ]);
    expect(plan.holdReason).toContain('full pass run-1 held the removals of');

    // The archive of a held team waits too; a full pass decides the hold anew.
    const unassigned = planSync(groupsScope([EVALS], {}), state, standing);
    expect(unassigned.operations).toEqual([]);
    expect(labels(unassigned.held)[0]).toBe(`team-archived ${EVALS}`);
    const fullPass = tenant({ [EVALS]: { name: 'Evals', members: [CAROL] } });
    expect(planSync(fullPass, state, standing).held).toEqual([]);
  });

  it('leaves teams and users outside the scope exactly as they are', () => {
    // A full pass would archive Prod (unassigned), update Bob's name and drop his membership.
    const state = current(
      [storedTeam(EVALS, 'Evals'), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [
        { teamId: EVALS, userId: ADA },
        { teamId: PROD, userId: BOB },
        { teamId: PROD, userId: ADA, side: 'team' },
      ],
    );
    const desired = groupsScope([EVALS], { [EVALS]: { name: 'Evals', members: [ADA] } });
    expect(kinds(desired, state)).toEqual([]);
    expect(
      kinds(
        tenant(
          { [EVALS]: { name: 'Evals', members: [ADA] } },
          { users: new Map([[ADA, PROFILES.get(ADA) ?? null]]) },
        ),
        state,
      ),
    ).toEqual([
      `team-archived ${PROD}`,
      `membership-removed ${PROD} ${ADA}`,
      `membership-removed ${PROD} ${BOB}`,
    ]);
  });

  it('keeps the profiles of scoped members in step, and leaves a scoped group not assigned and never synced alone', () => {
    const state = current([storedTeam(EVALS, 'Evals')], [ADA], [{ teamId: EVALS, userId: ADA }]);
    const desired = groupsScope([EVALS, PROD], {
      [EVALS]: { name: 'Evals', members: [ADA] },
    });
    const renamed = new Map([[ADA, { ...profile(ADA, 'Ada'), displayName: 'Ada King' }]]);
    const plan = planSync({ ...desired, users: renamed }, state, options);
    expect(labels(plan.operations)).toEqual([`user-updated ${ADA}`]);
    expect(planWrites(plan)).toEqual([
      expect.objectContaining({ partitionKey: ADA, properties: { displayName: 'Ada King' } }),
    ]);
    expect(
      planSync({ ...desired, users: renamed }, afterApplying(state, plan), options).operations,
    ).toEqual([]);
  });

  it('leaves the members of a scoped group that could not be read as they are', () => {
    const state = current([storedTeam(EVALS, 'Evals')], [ADA], [{ teamId: EVALS, userId: ADA }]);
    expect(kinds(groupsScope([EVALS], { [EVALS]: { name: 'Evals' } }), state)).toEqual([]);
  });
});

describe('the planner: planning again against the result', () => {
  it('plans nothing after a full pass and after a sign-in', () => {
    const state = current(
      [storedTeam(EVALS, 'Evals', { archived: true }), storedTeam(PROD, 'Prod')],
      [ADA, BOB],
      [
        { teamId: PROD, userId: BOB },
        { teamId: PROD, userId: ADA, side: 'user' },
      ],
    );
    const desired = tenant({
      [EVALS]: { name: 'Evals (renamed)', members: [ADA, CAROL] },
    });
    const plan = planSync(desired, state, options);
    expect(plan.operations.length).toBeGreaterThan(5);
    expect(planSync(desired, afterApplying(state, plan), options).operations).toEqual([]);

    const signIn: DesiredState = {
      scope: { kind: 'user', userId: ADA },
      assignedGroups: new Map([[PROD, { displayName: 'Prod' }]]),
      members: new Map([[PROD, new Set([ADA])]]),
      users: new Map([[ADA, PROFILES.get(ADA) ?? null]]),
    };
    const signInPlan = planSync(signIn, state, { ...options, actor: 'signin' });
    const after = afterApplying(state, signInPlan);
    expect(labels(planSync(signIn, after, { ...options, actor: 'signin' }).operations)).toEqual([
      `user-signed-in ${ADA}`,
    ]);
  });
});
