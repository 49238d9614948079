import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../functions/users.js';
import { getServices, useServices } from '../../shared/services.js';
import * as writes from '../../shared/store/writes.js';
import type { UserWithTeams } from '../../shared/views.js';
import { invoke } from '../support/invoke.js';
import { tablesOf } from '../support/tables.js';
import { testServices } from '../support/services.js';
import { guid, member, NOW, team, user } from '../support/fixtures.js';

describe('GET /api/users/{userId}', () => {
  const userId = guid('11111111', 1);
  const loner = guid('11111111', 2);
  const orphanedLinksOnly = guid('11111111', 3);
  const teamA = guid('22222222', 1);
  const teamB = guid('22222222', 2);
  const gone = guid('22222222', 3);

  beforeAll(async () => {
    const services = testServices();
    const report = await tablesOf(services).applyWrites([
      writes.createUser(
        user(userId, {
          userRole: 'proxy_admin',
          models: ['gpt-4o'],
          tpmLimit: 5000,
          rpmLimit: 50,
        }),
      ),
      writes.createUser(
        user(loner, {
          accountEnabled: false,
          deletedInEntra: true,
          lastSignInAt: undefined,
          maxBudget: undefined,
          budgetDuration: undefined,
        }),
      ),
      writes.createTeam(team(teamA, { teamAlias: 'Alpha' })),
      writes.createTeam(team(teamB, { teamAlias: 'Beta', archived: true })),
      ...writes.createMembership(member(teamA, userId, { role: 'admin' })),
      ...writes.createMembership(member(teamB, userId, { source: 'manual' })),
      // Only the user's side of a membership, to a team without a team row.
      writes.createUserTeamLink({
        userId,
        teamId: gone,
        role: 'user',
        source: 'entra',
        addedAt: NOW,
      }),
      writes.createUserTeamLink({
        userId: orphanedLinksOnly,
        teamId: teamA,
        role: 'user',
        source: 'entra',
        addedAt: NOW,
      }),
    ]);
    expect(report.results.filter((result) => result.outcome !== 'applied')).toEqual([]);
    useServices(services);
  });
  afterAll(() => {
    useServices(undefined);
  });

  /** Adds a user to the tables the other tests read. */
  async function testServicesFor(id: string) {
    await tablesOf(getServices()).applyWrites([writes.createUser(user(id))]);
  }

  it('answers the user and their teams, with aliases and archived from the team rows', async () => {
    const response = await invoke(users, { path: `users/${userId}`, params: { userId } });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      user: {
        userId,
        userEmail: 'ada@contoso.example',
        displayName: 'Ada Lovelace',
        userPrincipalName: 'ada@contoso.example',
        userRole: 'proxy_admin',
        maxBudget: 10,
        budgetDuration: '30d',
        models: ['gpt-4o'],
        tpmLimit: 5000,
        rpmLimit: 50,
        source: 'entra',
        accountEnabled: true,
        deletedInEntra: false,
        createdAt: NOW,
        lastSignInAt: NOW,
      },
      teams: [
        {
          teamId: teamA,
          teamAlias: 'Alpha',
          role: 'admin',
          source: 'entra',
          addedAt: NOW,
          archived: false,
        },
        {
          teamId: teamB,
          teamAlias: 'Beta',
          role: 'user',
          source: 'manual',
          addedAt: NOW,
          archived: true,
        },
        {
          teamId: gone,
          teamAlias: null,
          role: 'user',
          source: 'entra',
          addedAt: NOW,
          archived: null,
        },
      ],
    } satisfies UserWithTeams);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('finds a user by an object id typed in upper case', async () => {
    const mixed = 'abcdef01-0000-4000-8000-00000000abcd';
    await testServicesFor(mixed);
    const response = await invoke(users, {
      path: `users/${mixed.toUpperCase()}`,
      params: { userId: mixed.toUpperCase() },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ user: { userId: mixed } });
  });

  it('answers a user without teams, absent fields as null', async () => {
    const response = await invoke(users, { path: `users/${loner}`, params: { userId: loner } });
    expect(response.status).toBe(200);
    const body = response.json as UserWithTeams;
    expect(body.teams).toEqual([]);
    expect(body.user).toMatchObject({
      accountEnabled: false,
      deletedInEntra: true,
      lastSignInAt: null,
      maxBudget: null,
      budgetDuration: null,
      tpmLimit: null,
      rpmLimit: null,
    });
  });

  it.each([
    ['an unknown user', guid('11111111', 99)],
    ['a partition with membership mirrors but no user row', orphanedLinksOnly],
  ])('answers 404 not_found for %s', async (_what, id) => {
    const response = await invoke(users, { path: `users/${id}`, params: { userId: id } });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error: 'not_found' });
  });

  it.each(['', 'a#b', 'a?b', 'a/b', 'a\u007fb'])(
    'answers 400 request_invalid for the user id %j',
    async (id) => {
      const response = await invoke(users, { path: 'users/x', params: { userId: id } });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ error: 'request_invalid' });
    },
  );

  it('answers 400 when the route parameter is missing', async () => {
    const response = await invoke(users, { path: 'users' });
    expect(response.status).toBe(400);
  });
});
