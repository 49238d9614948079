/**
 * The repository against Azurite: it reads what a scope needs, applies a plan's operations
 * conditionally, answers each operation's outcome and the rows after, and a second identical
 * sync finds nothing to write.
 */
import { describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/store/index.js';
import type { StoredEntity } from '../../shared/store/entities.js';
import type { Tables } from '../../shared/store/tables.js';
import type { UserProfile } from '../../shared/sync/model.js';
import { planSync, type DesiredState, type PlanOptions } from '../../shared/sync/planner.js';
import type { StateQuery } from '../../shared/sync/scope.js';
import { summarise } from '../../shared/sync/summary.js';
import { testTables } from '../support/tables.js';

const EVALS = '6f1c2a3e-0000-4000-8000-000000000001';
const ADA = 'a1b2c3d4-0000-4000-8000-000000000001';
const BOB = 'a1b2c3d4-0000-4000-8000-000000000002';
const NOW = '2026-11-30T10:00:00.000Z';

const OPTIONS: PlanOptions = {
  now: NOW,
  actor: 'reconcile',
  defaults: { team: { max_budget: 100, models: ['gpt-4o'] }, user: {} },
  maxMembershipRemovals: 500,
};

function profile(userId: string, name: string): UserProfile {
  const email = `${name.toLowerCase()}@contoso.example`;
  return {
    userId,
    userEmail: email,
    displayName: name,
    userPrincipalName: email,
    accountEnabled: true,
  };
}

function desired(name: string, members: UserProfile[]): DesiredState {
  return {
    scope: { kind: 'groups', groupIds: new Set([EVALS]) },
    assignedGroups: new Map([[EVALS, { displayName: name }]]),
    members: new Map([[EVALS, new Set(members.map((member) => member.userId))]]),
    users: new Map(members.map((member) => [member.userId, member])),
  };
}

const QUERY: StateQuery = {
  kind: 'groups',
  teamIds: new Set([EVALS]),
  userIds: new Set([ADA, BOB]),
};

async function contents(tables: Tables): Promise<StoredEntity[]> {
  const entities: StoredEntity[] = [];
  for (const role of ['teams', 'users'] as const) {
    for await (const entity of tables.listEntities(role)) entities.push(entity);
  }
  return entities;
}

describe('the repository', () => {
  it('applies a plan, answers the outcomes and the rows after, and a second sync writes nothing', async () => {
    const tables = testTables();
    const repository = createRepository(tables);
    const want = desired('Evals', [profile(ADA, 'Ada'), profile(BOB, 'Bob')]);

    const before = await repository.read(QUERY);
    const plan = planSync(want, before, OPTIONS);
    const first = await repository.apply(plan.operations, before);
    expect(first.outcomes.map((outcome) => outcome.outcome)).toEqual(
      plan.operations.map(() => 'applied'),
    );
    // team row + 2 users + 2 x 2 membership sides
    expect(summarise(first.outcomes, [])).toMatchObject({
      teamsCreated: 1,
      usersCreated: 2,
      membershipsAdded: 2,
      tableWrites: 7,
    });
    // The rows after are the rows a fresh read returns, ETags included.
    const reread = await repository.read(QUERY);
    expect(first.rows).toEqual(reread);

    const stored = await contents(tables);
    const second = planSync(want, reread, OPTIONS);
    expect(second.operations).toEqual([]);
    const again = await repository.apply(second.operations, reread);
    expect(again.outcomes).toEqual([]);
    expect(await contents(tables)).toEqual(stored);
  });

  it('turns a rename and a restore of one team into one write, and a stale ETag into a conflict', async () => {
    const tables = testTables();
    const repository = createRepository(tables);
    const members = [profile(ADA, 'Ada')];
    const created = await repository.read(QUERY);
    await repository.apply(
      planSync(desired('Evals', members), created, OPTIONS).operations,
      created,
    );

    const read = await repository.read(QUERY);
    const unassigned = {
      ...desired('Evals', members),
      assignedGroups: new Map(),
      members: new Map(),
    };
    const archive = planSync(unassigned, read, {
      ...OPTIONS,
      maxMembershipRemovals: 0,
    });
    expect(archive.held.map((operation) => operation.kind)).toEqual([
      'team-archived',
      'membership-removed',
    ]);
    const [archived] = archive.held;
    const applied = await repository.apply(archived === undefined ? [] : [archived], read);
    expect(applied.rows.teams.get(EVALS)?.team?.archived).toBe(true);

    const renamedAndRestored = planSync(desired('LLM Evals', members), applied.rows, OPTIONS);
    expect(renamedAndRestored.operations.map((operation) => operation.kind)).toEqual([
      'team-renamed',
      'team-restored',
    ]);
    const result = await repository.apply(renamedAndRestored.operations, applied.rows);
    expect(result.outcomes.map((outcome) => outcome.outcome)).toEqual(['applied', 'applied']);
    expect(summarise(result.outcomes, [])).toMatchObject({
      teamsRenamed: 1,
      teamsRestored: 1,
      tableWrites: 1,
    });
    expect(result.rows.teams.get(EVALS)?.team).toMatchObject({
      teamAlias: 'LLM Evals',
      archived: false,
    });

    // Planned against the team row as it was before the rename: its ETag is stale.
    const stale = await repository.apply(archived === undefined ? [] : [archived], read);
    expect(stale.outcomes.map((outcome) => outcome.outcome)).toEqual(['conflict']);
    expect(stale.outcomes[0]?.error?.code).toBe('store_conflict');
    expect(summarise(stale.outcomes, [])).toMatchObject({ teamsArchived: 0, conflicts: 1 });
    expect(stale.rows.teams.get(EVALS)?.team).toEqual(read.teams.get(EVALS)?.team);
    expect((await repository.readTeam(EVALS)).team).toMatchObject({ archived: false });
  });
});
