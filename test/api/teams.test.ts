import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teams } from '../../functions/teams.js';
import { functionDefinitions } from '../../functions/index.js';
import { startLocalHost } from '../../dev/host.js';
import { useServices, type Services } from '../../shared/services.js';
import type { TableWrite } from '../../shared/store/tables.js';
import * as writes from '../../shared/store/writes.js';
import type { TeamPage, TeamWithMembers } from '../../shared/views.js';
import { invoke } from '../support/invoke.js';
import { tablesOf } from '../support/tables.js';
import { testServices } from '../support/services.js';
import { guid, member, NOW, team, user } from '../support/fixtures.js';

interface ErrorBody {
  error: string;
  message: string;
}

async function seeded(entries: readonly TableWrite[]): Promise<Services> {
  const services = testServices();
  const report = await tablesOf(services).applyWrites(entries);
  expect(report.results.filter((result) => result.outcome !== 'applied')).toEqual([]);
  return services;
}

async function listAll(query: Record<string, string>): Promise<{ pages: TeamPage[] }> {
  const pages: TeamPage[] = [];
  let token: string | null = null;
  do {
    const response = await invoke(teams, {
      path: 'teams',
      query: token === null ? query : { ...query, continuationToken: token },
    });
    expect(response.status).toBe(200);
    const page = response.json as TeamPage;
    pages.push(page);
    token = page.nextContinuationToken;
    expect(pages.length).toBeLessThan(50);
  } while (token !== null);
  return { pages };
}

describe('GET /api/teams: paging', () => {
  const ids = Array.from({ length: 250 }, (_, index) => guid('aaaaaaaa', index));

  beforeAll(async () => {
    const services = await seeded([
      ...ids.map((teamId) => writes.createTeam(team(teamId))),
      // Member rows share the team partitions: they must never show up as teams.
      ...ids.slice(0, 20).flatMap((teamId) => [writes.createTeamMember(member(teamId, 'u-1'))]),
    ]);
    useServices(services);
  });
  afterAll(() => {
    useServices(undefined);
  });

  it('returns 250 teams in 3 pages of at most 100, every team exactly once, in id order', async () => {
    const { pages } = await listAll({ limit: '100' });
    expect(pages.map((page) => page.teams.length)).toEqual([100, 100, 50]);
    const seen = pages.flatMap((page) => page.teams.map((entry) => entry.teamId));
    expect(seen).toEqual(ids);
    for (const page of pages.slice(0, -1)) {
      expect(page.nextContinuationToken).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(pages.at(-1)?.nextContinuationToken).toBeNull();
  });

  it('defaults to pages of 100', async () => {
    const response = await invoke(teams, { path: 'teams' });
    expect(response.status).toBe(200);
    const page = response.json as TeamPage;
    expect(page.teams).toHaveLength(100);
    expect(page.nextContinuationToken).not.toBeNull();
  });

  it('answers with every field of a team, absent ones as null', async () => {
    const response = await invoke(teams, { path: 'teams', query: { limit: '1' } });
    expect(response.json).toEqual({
      teams: [
        {
          teamId: ids[0],
          teamAlias: `Team ${ids[0] ?? ''}`,
          source: 'entra',
          entraGroupId: ids[0],
          entraDisplayName: `Team ${ids[0] ?? ''}`,
          archived: false,
          maxBudget: 100,
          budgetDuration: '30d',
          models: ['gpt-4o'],
          tpmLimit: 100000,
          rpmLimit: 1000,
          createdAt: NOW,
          createdBy: 'reconcile',
        },
      ],
      nextContinuationToken: expect.any(String) as string,
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('pages with limit 1000 in one page', async () => {
    const { pages } = await listAll({ limit: '1000' });
    expect(pages).toHaveLength(1);
    expect(pages[0]?.teams).toHaveLength(250);
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '1001' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ limit: '1.5' }, 'limit'],
    [{ includeArchived: 'yes' }, 'includeArchived'],
    [{ continuationToken: 'not a token!' }, 'continuationToken'],
    [{ continuationToken: Buffer.from('{"x":1}').toString('base64url') }, 'continuationToken'],
    [{ continuationToken: Buffer.from('garbage').toString('base64url') }, 'continuationToken'],
  ])('answers 400 request_invalid for %o', async (query, named) => {
    const response = await invoke(teams, { path: 'teams', query });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: 'request_invalid' });
    expect((response.json as ErrorBody).message).toContain(named);
  });

  it('ignores other query parameters, such as a function key in ?code=', async () => {
    const response = await invoke(teams, { path: 'teams', query: { limit: '5', code: 'k==' } });
    expect(response.status).toBe(200);
    expect((response.json as TeamPage).teams).toHaveLength(5);
  });
});

describe('GET /api/teams: archived teams', () => {
  // Every other team archived, so a page of active teams needs more than one request to fill.
  const ids = Array.from({ length: 30 }, (_, index) => guid('bbbbbbbb', index));
  const active = ids.filter((_, index) => index % 2 === 0);
  const operatorActive = 'zz-manual-no-archived-flag';
  const operatorArchived = 'zz-manual-archived-as-text';

  beforeAll(async () => {
    useServices(
      await seeded([
        ...ids.map((teamId, index) =>
          writes.createTeam(
            team(teamId, {
              archived: index % 2 === 1,
              ...(index % 2 === 1
                ? { archivedAt: NOW, archivedReason: 'group no longer assigned' }
                : {}),
            }),
          ),
        ),
        // Written by hand (Storage Explorer): no `archived`, or `archived` as a string.
        {
          table: 'teams',
          action: 'create',
          partitionKey: operatorActive,
          rowKey: 'team',
          properties: { teamAlias: 'hand made', source: 'manual' },
        },
        {
          table: 'teams',
          action: 'create',
          partitionKey: operatorArchived,
          rowKey: 'team',
          properties: { teamAlias: 'hand archived', archived: 'true' },
        },
      ]),
    );
  });
  afterAll(() => {
    useServices(undefined);
  });

  it('leaves archived teams out by default, and still fills each page', async () => {
    const { pages } = await listAll({ limit: '4' });
    const seen = pages.flatMap((page) => page.teams.map((entry) => entry.teamId));
    expect(seen).toEqual([...active, operatorActive]);
    expect(pages.slice(0, -1).every((page) => page.teams.length === 4)).toBe(true);
    expect(pages.flatMap((page) => page.teams).every((entry) => !entry.archived)).toBe(true);
  });

  it('includes archived teams with includeArchived=true', async () => {
    const { pages } = await listAll({ limit: '7', includeArchived: 'true' });
    const seen = pages.flatMap((page) => page.teams);
    expect(seen.map((entry) => entry.teamId)).toEqual([...ids, operatorArchived, operatorActive]);
    expect(seen.filter((entry) => entry.archived)).toHaveLength(16);
  });

  it('treats includeArchived=false as the default', async () => {
    const response = await invoke(teams, {
      path: 'teams',
      query: { includeArchived: 'false', limit: '1000' },
    });
    expect((response.json as TeamPage).teams).toHaveLength(active.length + 1);
  });

  it('reads a hand-made team row with its missing fields as null', async () => {
    const response = await invoke(teams, {
      path: `teams/${operatorActive}`,
      params: { teamId: operatorActive },
    });
    expect(response.status).toBe(200);
    expect((response.json as TeamWithMembers).team).toEqual({
      teamId: operatorActive,
      teamAlias: 'hand made',
      source: 'manual',
      entraGroupId: null,
      entraDisplayName: null,
      archived: false,
      maxBudget: null,
      budgetDuration: null,
      models: [],
      tpmLimit: null,
      rpmLimit: null,
      createdAt: '',
      createdBy: null,
      teamMemberPermissions: [],
      archivedAt: null,
      archivedReason: null,
    });
  });
});

describe('GET /api/teams: non-ASCII team ids', () => {
  const ids = ['équipe-1', 'équipe-2', 'チーム-3', 'チーム-4'];

  beforeAll(async () => {
    useServices(
      await seeded(ids.map((teamId) => writes.createTeam(team(teamId, { source: 'manual' })))),
    );
  });
  afterAll(() => {
    useServices(undefined);
  });

  it('pages through them one by one', async () => {
    const { pages } = await listAll({ limit: '1' });
    const seen = pages.flatMap((page) => page.teams.map((entry) => entry.teamId));
    expect(seen).toEqual([...ids].sort());
  });
});

describe('GET /api/teams/{teamId}', () => {
  const teamId = guid('cccccccc', 1);
  const emptyTeamId = guid('cccccccc', 2);
  const halfWritten = guid('cccccccc', 3);
  const members = [guid('dddddddd', 1), guid('dddddddd', 2), guid('dddddddd', 3)];

  beforeAll(async () => {
    useServices(
      await seeded([
        writes.createTeam(team(teamId, { teamMemberPermissions: ['/team/member_add'] })),
        writes.createTeam(team(emptyTeamId)),
        ...writes.createMembership(member(teamId, members[0] ?? '')),
        ...writes.createMembership(member(teamId, members[1] ?? '', { role: 'admin' })),
        ...writes.createMembership(
          member(teamId, members[2] ?? '', { source: 'manual', userEmail: undefined }),
        ),
        // A member row without its team row: not a team.
        writes.createTeamMember(member(halfWritten, members[0] ?? '')),
        writes.createUser(user(members[0] ?? '')),
      ]),
    );
  });
  afterAll(() => {
    useServices(undefined);
  });

  it('answers the team and its members', async () => {
    const response = await invoke(teams, { path: `teams/${teamId}`, params: { teamId } });
    expect(response.status).toBe(200);
    const body = response.json as TeamWithMembers;
    expect(body.team).toMatchObject({
      teamId,
      teamAlias: `Team ${teamId}`,
      archived: false,
      teamMemberPermissions: ['/team/member_add'],
      archivedAt: null,
      archivedReason: null,
    });
    expect(body.members).toEqual([
      {
        userId: members[0],
        role: 'user',
        source: 'entra',
        addedAt: NOW,
        userEmail: `${members[0] ?? ''}@contoso.example`,
      },
      {
        userId: members[1],
        role: 'admin',
        source: 'entra',
        addedAt: NOW,
        userEmail: `${members[1] ?? ''}@contoso.example`,
      },
      { userId: members[2], role: 'user', source: 'manual', addedAt: NOW, userEmail: null },
    ]);
  });

  it('answers a team without members with an empty list', async () => {
    const response = await invoke(teams, {
      path: `teams/${emptyTeamId}`,
      params: { teamId: emptyTeamId },
    });
    expect(response.status).toBe(200);
    expect((response.json as TeamWithMembers).members).toEqual([]);
  });

  it.each([
    ['an unknown team', guid('cccccccc', 99)],
    ['a partition with members but no team row', halfWritten],
  ])('answers 404 not_found for %s', async (_what, id) => {
    const response = await invoke(teams, { path: `teams/${id}`, params: { teamId: id } });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error: 'not_found' });
    expect((response.json as ErrorBody).message).toContain(id);
  });

  it.each(['a#b', 'a?b', 'a\\b', 'a/b', 'a\u0001b', 'x'.repeat(1025)])(
    'answers 400 request_invalid for the team id %j',
    async (id) => {
      const response = await invoke(teams, { path: 'teams/x', params: { teamId: id } });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ error: 'request_invalid' });
      expect((response.json as ErrorBody).message).toMatch(/^Invalid route: teamId: team id /);
    },
  );
});

describe('the teams function over HTTP (local host)', () => {
  it('serves /api/teams and /api/teams/{teamId} from one route with a URL-safe token', async () => {
    const ids = Array.from({ length: 5 }, (_, index) => guid('eeeeeeee', index));
    useServices(await seeded(ids.map((teamId) => writes.createTeam(team(teamId)))));
    const host = await startLocalHost({
      definitions: functionDefinitions,
      port: 0,
      timers: false,
      log: () => undefined,
    });
    try {
      const seen: string[] = [];
      let url = `${host.url}/api/teams?limit=2`;
      for (;;) {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        const page = (await response.json()) as TeamPage;
        seen.push(...page.teams.map((entry) => entry.teamId));
        if (page.nextContinuationToken === null) break;
        // Put in the URL as is, without encoding: the token must not need it.
        url = `${host.url}/api/teams?limit=2&continuationToken=${page.nextContinuationToken}`;
      }
      expect(seen).toEqual(ids);

      const one = await fetch(`${host.url}/api/teams/${ids[3] ?? ''}`);
      expect(one.status).toBe(200);
      expect(((await one.json()) as TeamWithMembers).team.teamId).toBe(ids[3]);

      const forbidden = await fetch(`${host.url}/api/teams/a%23b`);
      expect(forbidden.status).toBe(400);
      expect(await forbidden.json()).toMatchObject({ error: 'request_invalid' });
    } finally {
      await host.stop();
      useServices(undefined);
    }
  });
});
