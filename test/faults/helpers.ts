/**
 * What every fault scenario checks: a faulted run removed no membership Entra still has (on
 * either side), and once the fault is gone the next run brings the tables to Entra's state and
 * the run after it writes nothing.
 */
import { expect } from 'vitest';
import type { ParsedTenantData } from '../../dev/tenant/model.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import type { Services } from '../../shared/services.js';
import type { RunRecord } from '../../shared/sync/run-records.js';
import { assignedGroupIds, expectTablesMatchEntra, membersOf, run } from '../reconcile/helpers.js';
import { allTeams, allUsers } from '../support/tables.js';

/**
 * Entra moves on after a sync: a member leaves each of the first three assigned groups, one
 * joins each of the next three, and the sixth is renamed, so a faulted run has additions,
 * removals and a rename to get right.
 */
export function changeEntra(sim: SimulatedTenant): void {
  const state = sim.admin.getState();
  const assigned = assignedGroupIds(state);
  const isUser = (id: string) => state.users.some((user) => user.id === id);
  for (const groupId of assigned.slice(0, 3)) {
    const leaver = state.groups.find((group) => group.id === groupId)?.members.find(isUser);
    if (leaver !== undefined) sim.admin.removeMember(groupId, leaver);
  }
  for (const groupId of assigned.slice(3, 6)) {
    const joiner = state.users.find((user) => !membersOf(state, groupId).has(user.id));
    if (joiner !== undefined) sim.admin.addMember(groupId, joiner.id);
  }
  sim.admin.renameGroup(assigned[6] ?? assigned[0] ?? '', 'Renamed while a fault is injected');
}

/** Every `entra` membership in the tables, as `side|team|user`. */
export async function entraMemberships(services: Services): Promise<Set<string>> {
  const [teams, users] = await Promise.all([allTeams(services), allUsers(services)]);
  const found = new Set<string>();
  for (const [teamId, record] of teams) {
    for (const member of record.members.values()) {
      if (member.source === 'entra') found.add(`team|${teamId}|${member.userId}`);
    }
  }
  for (const [userId, record] of users) {
    for (const [teamId, link] of record.teams) {
      if (link.source === 'entra') found.add(`user|${teamId}|${userId}`);
    }
  }
  return found;
}

/** No membership that was in the tables and that Entra still has is gone. */
export async function expectNothingLost(
  services: Services,
  before: ReadonlySet<string>,
  state: ParsedTenantData,
): Promise<void> {
  const after = await entraMemberships(services);
  const lost = [...before].filter((entry) => {
    const [, teamId = '', userId = ''] = entry.split('|');
    return membersOf(state, teamId).has(userId) && !after.has(entry);
  });
  expect(lost, 'memberships Entra still has, removed by a faulted run').toEqual([]);
}

/** The next fault-free run converges to Entra's state, and one more writes nothing. */
export async function expectConverges(services: Services, state: ParsedTenantData): Promise<void> {
  const healed = await run(services);
  expect(['succeeded', 'held']).toContain(healed.outcome);
  await expectInEntraState(services, state);
}

/** The tables already hold Entra's state: the next run writes nothing. Answers that run. */
export async function expectInEntraState(
  services: Services,
  state: ParsedTenantData,
): Promise<RunRecord> {
  await expectTablesMatchEntra(services, state);
  const quiet = await run(services);
  expect(quiet.summary?.tableWrites, 'writes of the run after convergence').toBe(0);
  return quiet;
}

/**
 * A run that met faults and still completed: Entra's state, nothing lost, and at least
 * `minExtraRequests` more Graph requests than the same run without faults (the retries).
 */
export async function expectCompletedThrough(
  services: Services,
  record: RunRecord,
  before: ReadonlySet<string>,
  state: ParsedTenantData,
  minExtraRequests: number,
): Promise<void> {
  expect(record.outcome).toBe('succeeded');
  await expectNothingLost(services, before, state);
  const quiet = await expectInEntraState(services, state);
  expect(extraRequests(record, quiet), 'requests sent again').toBeGreaterThanOrEqual(
    minExtraRequests,
  );
}

/** Graph requests a faulted run sent beyond what the same run costs without faults. */
export function extraRequests(faulted: RunRecord, quiet: RunRecord): number {
  return (faulted.summary?.graphRequests ?? 0) - (quiet.summary?.graphRequests ?? 0);
}

/** A rejection's run record (reconcile attaches it to what it throws). */
export async function failedRun(promise: Promise<unknown>) {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the run should have failed').toBeInstanceOf(Error);
  return error as Error & {
    code?: string;
    runRecord?: { outcome: string; error?: { code: string } };
  };
}
