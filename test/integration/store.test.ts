import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/errors.js';
import { createRepository } from '../../shared/store/index.js';
import * as writes from '../../shared/store/writes.js';
import type { Team, User } from '../../shared/sync/model.js';
import { member, NOW, team as teamFixture, user as userFixture } from '../support/fixtures.js';
import { testTables } from '../support/tables.js';

const EVALS = '6f1c2a3e-0000-4000-8000-000000000001';
const ADA = 'a1b2c3d4-0000-4000-8000-000000000001';

/** The walkthrough's team, as a sign-in would have created it. */
function team(overrides: Partial<Team> = {}): Team {
  return teamFixture(EVALS, {
    teamAlias: 'Production LLM Evals Group',
    entraDisplayName: 'Production LLM Evals Group',
    models: ['gpt-3.5-turbo'],
    createdBy: 'signin',
    ...overrides,
  });
}

function user(overrides: Partial<User> = {}): User {
  return userFixture(ADA, overrides);
}

describe('the tables beneath the repository, against Azurite', () => {
  it('round-trips a team, a user and a membership written to both partitions', async () => {
    const tables = testTables();
    const store = createRepository(tables);
    const theTeam = team();
    const theUser = user();
    const report = await tables.applyWrites([
      writes.createTeam(theTeam),
      writes.createUser(theUser),
      ...writes.createMembership(member(theTeam.teamId, theUser.userId)),
    ]);
    expect(report.results.map((result) => result.outcome)).toEqual([
      'applied',
      'applied',
      'applied',
      'applied',
    ]);

    const teamRecord = await store.readTeam(theTeam.teamId);
    expect(teamRecord.team).toMatchObject({ ...theTeam, etag: expect.any(String) as string });
    expect(teamRecord.members.get(theUser.userId)).toMatchObject(
      member(theTeam.teamId, theUser.userId),
    );

    const userRecord = await store.readUser(theUser.userId);
    expect(userRecord.user).toMatchObject(theUser);
    expect(userRecord.teams.get(theTeam.teamId)).toMatchObject({
      teamId: theTeam.teamId,
      role: 'user',
      source: 'entra',
      addedAt: NOW,
    });
  });

  it('stores lists as JSON strings and booleans as booleans, as the proxy reads them', async () => {
    const tables = testTables();
    const theTeam = team({ models: ['gpt-4o', 'gpt-4o-mini'] });
    await tables.applyWrites([writes.createTeam(theTeam)]);
    const raw = await tables.readEntity('teams', theTeam.teamId, 'team');
    expect(raw?.models).toBe('["gpt-4o","gpt-4o-mini"]');
    expect(raw?.archived).toBe(false);
    expect(raw?.maxBudget).toBe(100);
    expect(raw?.teamAlias).toBe('Production LLM Evals Group');
  });

  it('creates conditionally: a second create of the same team reports exists and changes nothing', async () => {
    const tables = testTables();
    await tables.applyWrites([writes.createTeam(team())]);
    const second = await tables.applyWrites([writes.createTeam(team({ maxBudget: 5 }))]);
    expect(second.results[0]?.outcome).toBe('exists');
    expect(second.applied).toBe(0);
    const stored = await createRepository(tables).readTeam(team().teamId);
    expect(stored.team?.maxBudget).toBe(100);
  });

  it('writes a transaction of 100 entities in one request', async () => {
    const tables = testTables();
    const teamId = 'team-hundred';
    const batch = Array.from({ length: 100 }, (_, index) =>
      writes.createTeamMember(member(teamId, `user-${index}`)),
    );
    const report = await tables.applyWrites(batch);
    expect(report).toMatchObject({ applied: 100, requests: 1 });
    expect((await tables.readPartition('teams', teamId)).length).toBe(100);
  });

  it('splits 250 entities of one partition into transactions of at most 100', async () => {
    const tables = testTables();
    const teamId = 'team-250';
    const batch = Array.from({ length: 250 }, (_, index) =>
      writes.createTeamMember(member(teamId, `user-${index}`)),
    );
    const report = await tables.applyWrites(batch);
    expect(report).toMatchObject({ applied: 250, requests: 3 });
    expect((await tables.readPartition('teams', teamId)).length).toBe(250);
  });

  it('retries a failed transaction write by write so one existing entity does not block the rest', async () => {
    const tables = testTables();
    const teamId = 'team-mixed';
    await tables.applyWrites([writes.createTeamMember(member(teamId, 'user-3'))]);
    const batch = Array.from({ length: 6 }, (_, index) =>
      writes.createTeamMember(member(teamId, `user-${index}`)),
    );
    const report = await tables.applyWrites(batch);
    expect(report.applied).toBe(5);
    expect(report.results.find((result) => result.write.rowKey === 'member:user-3')?.outcome).toBe(
      'exists',
    );
  });

  it('reports a stale ETag as a coded conflict and leaves the entity as the other writer left it', async () => {
    const tables = testTables();
    const store = createRepository(tables);
    await tables.applyWrites([writes.createTeam(team())]);
    const read = await store.readTeam(team().teamId);
    const etag = read.team?.etag ?? '';

    const operator = await tables.applyWrites([
      writes.updateTeam(team().teamId, { maxBudget: 250 }, etag),
    ]);
    expect(operator.applied).toBe(1);

    const stale = await tables.applyWrites([
      writes.updateTeam(team().teamId, { teamAlias: 'Renamed' }, etag),
    ]);
    const [result] = stale.results;
    expect(result?.outcome).toBe('conflict');
    expect(isServiceError(result?.error, 'store_conflict')).toBe(true);
    expect(result?.error?.message).toMatch(/stale ETag/);

    const after = await store.readTeam(team().teamId);
    expect(after.team).toMatchObject({ maxBudget: 250, teamAlias: 'Production LLM Evals Group' });
  });

  it('deletes only with the ETag that was read, and treats an already-deleted entity as missing', async () => {
    const tables = testTables();
    const store = createRepository(tables);
    const theMember = member('team-d', 'user-d');
    await tables.applyWrites([writes.createTeamMember(theMember)]);
    const read = (await store.readTeam('team-d')).members.get('user-d');
    await tables.applyWrites([
      writes.updateTeam('team-d', {}, '*'), // unrelated row write must not disturb the member
    ]);
    const changed = await tables.applyWrites([
      {
        table: 'teams',
        action: 'merge',
        partitionKey: 'team-d',
        rowKey: 'member:user-d',
        properties: { role: 'admin' },
        etag: read?.etag ?? '',
      },
    ]);
    expect(changed.applied).toBe(1);
    const staleDelete = await tables.applyWrites([
      writes.deleteTeamMember('team-d', 'user-d', read?.etag ?? ''),
    ]);
    expect(staleDelete.results[0]?.outcome).toBe('conflict');
    const fresh = (await store.readTeam('team-d')).members.get('user-d');
    const deleted = await tables.applyWrites([
      writes.deleteTeamMember('team-d', 'user-d', fresh?.etag ?? ''),
    ]);
    expect(deleted.results[0]?.outcome).toBe('applied');
    const again = await tables.applyWrites([
      writes.deleteTeamMember('team-d', 'user-d', fresh?.etag ?? ''),
    ]);
    expect(again.results[0]?.outcome).toBe('missing');
  });

  it('merges without dropping properties an operator added by hand', async () => {
    const tables = testTables();
    await tables.applyWrites([writes.createTeam(team())]);
    await tables.applyWrites([
      {
        table: 'teams',
        action: 'merge',
        partitionKey: team().teamId,
        rowKey: 'team',
        properties: { notes: 'owned by the evals guild' },
        etag: '*',
      },
    ]);
    const read = await createRepository(tables).readTeam(team().teamId);
    await tables.applyWrites([
      writes.updateTeam(team().teamId, { entraDisplayName: 'Evals' }, read.team?.etag ?? ''),
    ]);
    const raw = await tables.readEntity('teams', team().teamId, 'team');
    expect(raw).toMatchObject({ notes: 'owned by the evals guild', entraDisplayName: 'Evals' });
  });

  it('pages through continuation tokens past 1,000 entities', async () => {
    const tables = testTables();
    const batch = Array.from({ length: 1_234 }, (_, index) =>
      writes.createTeamMember(member(`team-${index % 3}`, `user-${index}`)),
    );
    expect((await tables.applyWrites(batch)).applied).toBe(1_234);

    const firstPage = await tables.listPage('teams', {});
    expect(firstPage.entities.length).toBe(1_000);
    expect(firstPage.continuationToken).toEqual(expect.any(String));

    let count = 0;
    for await (const entity of tables.listEntities('teams')) {
      expect(entity.rowKey.startsWith('member:')).toBe(true);
      count += 1;
    }
    expect(count).toBe(1_234);
    const all = await createRepository(tables)
      .read({ kind: 'tenant' })
      .then((state) => state.teams);
    expect([...all.values()].reduce((sum, record) => sum + record.members.size, 0)).toBe(1_234);
  });

  it.each([
    ['a slash', 'team/1'],
    ['a backslash', 'team\\1'],
    ['a hash', 'team#1'],
    ['a question mark', 'team?1'],
    ['a control character', 'team\u00071'],
  ])('rejects a key with %s before sending anything', async (_label, teamId) => {
    const tables = testTables();
    let caught: unknown;
    try {
      await tables.applyWrites([writes.createTeam(team({ teamId }))]);
    } catch (error) {
      caught = error;
    }
    expect(isServiceError(caught, 'store_invalid_key')).toBe(true);
    expect((caught as Error).message).toMatch(/does not allow in keys/);
  });

  it('creates its tables on first use, with the configured prefix', async () => {
    const tables = testTables('Pfx' + Date.now().toString(36));
    expect(tables.tableName('teams')).toMatch(/^Pfx\w+Teams$/);
    const page = await tables.listPage('users', {});
    expect(page.entities).toEqual([]);
  });
});
