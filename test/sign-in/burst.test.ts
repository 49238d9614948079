/**
 * Fifty people sign in for the first time, at once, right after their group was assigned to
 * the app: through the real POST /api/sync/me with real tokens, sharing one assignments listing
 * per ASSIGNED_GROUPS_CACHE_SECONDS (5 s). The listing's clock is injected, so the 5 s pass
 * without waiting for them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { syncMe } from '../../functions/sync-me.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, useServices } from '../../shared/services.js';
import type { SignInResult } from '../../shared/sync/sign-in.js';
import { invoke } from '../support/invoke.js';
import { S } from '../support/sample-tenant.js';
import { testSettings } from '../support/services.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const tenant = useSimulatedTenant();
const GROUP = 'b0000000-0000-4000-8000-000000000020';
const PEOPLE = Array.from(
  { length: 50 },
  (_, index) => `c0000000-0000-4000-8000-${index.toString().padStart(12, '0')}`,
);

afterEach(() => {
  tenant.admin.reset();
  useServices(undefined);
});

async function signIn(userId: string) {
  const token = await tenant.issueToken({ userId });
  return invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: { authorization: `Bearer ${token}` },
  });
}

function assignmentListings(): number {
  return Object.entries(tenant.counters().requestsByRoute)
    .filter(([route]) => route.includes('appRoleAssignedTo'))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe('a burst of first sign-ins into a newly assigned group', () => {
  it('creates one team with the defaults once, and fifty members on both sides', async () => {
    let elapsedMs = 0;
    const clock = () => new Date(Date.now() + elapsedMs);
    const settings = testSettings({
      ...tenant.env,
      ASSIGNED_GROUPS_CACHE_SECONDS: '5',
      DEFAULT_TEAM_PARAMS: JSON.stringify({ max_budget: 100, models: ['gpt-4o'] }),
    });
    const services = createServices(settings, {
      clock,
      createDirectory: (options) =>
        createDirectoryReader(settings, { sleep: () => Promise.resolve(), clock, ...options }),
    });
    useServices(services);

    for (const [index, userId] of PEOPLE.entries()) {
      tenant.admin.addUser({
        id: userId,
        displayName: `Person ${index}`,
        userPrincipalName: `person${index}@mishikallm.onmicrosoft.com`,
        accountEnabled: true,
      });
    }
    tenant.admin.addGroup({ id: GROUP, displayName: 'Launch Crew', members: PEOPLE });

    // Ava's sign-in lists the assignments; then the group is assigned.
    expect((await signIn(S.ava)).status).toBe(200);
    tenant.admin.assignGroup(GROUP);
    // Within the 5 s the shared listing does not show the group yet: refused, nothing written.
    const early = await signIn(PEOPLE[0] ?? '');
    expect(early.status).toBe(403);
    expect((await services.repository.readUser(PEOPLE[0] ?? '')).user).toBeUndefined();

    elapsedMs += 5_000;
    tenant.resetCounters();
    const responses = await Promise.all(PEOPLE.map((userId) => signIn(userId)));
    for (const response of responses) expect(response.status, response.text).toBe(200);
    // One listing for the fifty, however they interleave.
    expect(assignmentListings()).toBe(1);

    const results = responses.map((response) => response.json as SignInResult);
    expect(results.filter((result) => result.changes.teamsCreated.includes(GROUP))).toHaveLength(1);
    expect(results.every((result) => result.user.created)).toBe(true);
    expect(results.every((result) => result.teams.some((team) => team.teamId === GROUP))).toBe(
      true,
    );

    const team = await services.repository.readTeam(GROUP);
    expect(team.team).toMatchObject({
      teamAlias: 'Launch Crew',
      maxBudget: 100,
      models: ['gpt-4o'],
      createdBy: 'signin',
    });
    expect([...team.members.keys()].sort()).toEqual([...PEOPLE].sort());
    for (const userId of PEOPLE) {
      const user = await services.repository.readUser(userId);
      expect(user.teams.get(GROUP)).toMatchObject({ source: 'entra', role: 'user' });
    }
  }, 60_000);
});
