/**
 * Shared by the reconciliation tests: services wired to a simulated tenant and Azurite, table
 * snapshots (every entity with its ETag and timestamp, to prove "writes nothing"), and the state
 * Entra says the tables must hold, computed from the tenant's own data.
 */
import { expect } from 'vitest';
import type { ParsedTenantData } from '../../dev/tenant/model.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, type Services } from '../../shared/services.js';
import type { TableRole } from '../../shared/store/index.js';
import { reconcile, type ReconcileOptions } from '../../shared/sync/reconcile.js';
import type { RunRecord } from '../../shared/sync/run-records.js';
import { allTeams, allUsers, tablesOf, uniqueTablePrefix } from '../support/tables.js';
import { testSettings } from '../support/services.js';

export { S, SAMPLE } from '../support/sample-tenant.js';

/** Retries cost no time in these tests. */
export const fast = (): Promise<void> => Promise.resolve();

/**
 * Services against the tenant and the test Azurite, with tables of their own (a fresh prefix
 * starting with the file's label, so files and tests never see each other's rows).
 */
export function servicesFor(
  sim: SimulatedTenant,
  label: string,
  environment: Record<string, string> = {},
  readerOptions: { pageSize?: number } = {},
): Services {
  const settings = testSettings({
    ...sim.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    TABLE_PREFIX: uniqueTablePrefix(label),
    ...environment,
  });
  return createServices(settings, {
    createDirectory: (options) =>
      createDirectoryReader(settings, { sleep: fast, ...readerOptions, ...options }),
  });
}

export async function run(
  services: Services,
  options: Partial<ReconcileOptions> = {},
): Promise<RunRecord> {
  const { record } = await reconcile(services, { trigger: 'cli', ...options });
  return record;
}

/** Every entity of a table, all properties, ETag and timestamp included, in key order. */
export async function tableContents(
  services: Services,
  role: TableRole,
): Promise<Record<string, unknown>[]> {
  const client = await tablesOf(services).table(role);
  const entities: Record<string, unknown>[] = [];
  for await (const entity of client.listEntities()) entities.push({ ...entity });
  return entities.sort((a, b) =>
    `${String(a.partitionKey)}\u0000${String(a.rowKey)}`.localeCompare(
      `${String(b.partitionKey)}\u0000${String(b.rowKey)}`,
    ),
  );
}

export async function snapshot(
  services: Services,
  roles: readonly TableRole[] = ['teams', 'users'],
): Promise<Record<string, Record<string, unknown>[]>> {
  const entries = await Promise.all(
    roles.map(async (role) => [role, await tableContents(services, role)] as const),
  );
  return Object.fromEntries(entries);
}

/** Users (not groups) who are members of a group: direct only, or through nested groups. */
export function membersOf(
  state: ParsedTenantData,
  groupId: string,
  membership: 'transitive' | 'direct' = 'transitive',
): Set<string> {
  const groups = new Map(state.groups.map((group) => [group.id, group]));
  const userIds = new Set(state.users.map((user) => user.id));
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const member of groups.get(id)?.members ?? []) {
      if (userIds.has(member)) found.add(member);
      else if (membership === 'transitive') visit(member);
    }
  };
  visit(groupId);
  return found;
}

export function assignedGroupIds(state: ParsedTenantData): string[] {
  const groupIds = new Set(state.groups.map((group) => group.id));
  return state.assignments
    .map((assignment) => assignment.principalId)
    .filter((id) => groupIds.has(id));
}

/** `entra` members of a team, from both sides of the membership. */
export async function entraMembers(
  services: Services,
  teamId: string,
): Promise<{ teamSide: Set<string>; userSide: Set<string> }> {
  const [team, users] = await Promise.all([
    services.repository.readTeam(teamId),
    allUsers(services),
  ]);
  const teamSide = new Set(
    [...team.members.values()].filter((m) => m.source === 'entra').map((m) => m.userId),
  );
  const userSide = new Set(
    [...users.values()]
      .filter((record) => record.teams.get(teamId)?.source === 'entra')
      .map((record) => record.userId),
  );
  return { teamSide, userSide };
}

/**
 * The tables match the tenant: a live team per assigned group with its name, exactly its
 * (transitive or direct) members on both sides, a user row per member with Entra's profile, and
 * every other Entra team archived without Entra members.
 */
export async function expectTablesMatchEntra(
  services: Services,
  state: ParsedTenantData,
  membership: 'transitive' | 'direct' = 'transitive',
): Promise<void> {
  const [teams, users] = await Promise.all([allTeams(services), allUsers(services)]);
  const assigned = new Set(assignedGroupIds(state));
  const profiles = new Map(state.users.map((user) => [user.id, user]));
  const linksOf = (teamId: string) =>
    new Set(
      [...users.values()]
        .filter((record) => record.teams.get(teamId)?.source === 'entra')
        .map((record) => record.userId),
    );

  for (const group of state.groups.filter((g) => assigned.has(g.id))) {
    const record = teams.get(group.id);
    expect(record?.team, `team for ${group.displayName}`).toMatchObject({
      source: 'entra',
      entraGroupId: group.id,
      entraDisplayName: group.displayName,
      archived: false,
    });
    const expected = [...membersOf(state, group.id, membership)].sort();
    const teamSide = [...(record?.members.values() ?? [])]
      .filter((member) => member.source === 'entra')
      .map((member) => member.userId)
      .sort();
    expect(teamSide, `members of ${group.displayName}`).toEqual(expected);
    expect([...linksOf(group.id)].sort(), `mirrors of ${group.displayName}`).toEqual(expected);
    for (const userId of expected) {
      const profile = profiles.get(userId);
      expect(users.get(userId)?.user, `user ${userId}`).toMatchObject({
        userEmail: (profile?.mail ?? profile?.userPrincipalName ?? '').toLowerCase(),
        displayName: profile?.displayName,
        userPrincipalName: profile?.userPrincipalName,
        accountEnabled: profile?.accountEnabled,
        deletedInEntra: false,
      });
    }
  }
  for (const [teamId, record] of teams) {
    if (assigned.has(teamId) || record.team?.source !== 'entra') continue;
    expect(record.team.archived, `team ${teamId} archived`).toBe(true);
    expect([...record.members.values()].filter((m) => m.source === 'entra')).toEqual([]);
    expect([...linksOf(teamId)]).toEqual([]);
  }
}
