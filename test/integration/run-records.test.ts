import { describe, expect, it } from 'vitest';
import { createRepository, type AuditEntry } from '../../shared/store/index.js';
import { auditWrites } from '../../shared/store/audit-log.js';
import type { Operation } from '../../shared/sync/operations.js';
import { member, team } from '../support/fixtures.js';
import {
  AUDIT_ENTRIES_PER_PARTITION,
  legacyAuditWrites as auditWrites_v1,
} from '../support/legacy-audit.js';
import { testTables } from '../support/tables.js';

function changes(count: number, teamId = 'team'): AuditEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    operation: {
      kind: 'membership-added',
      teamId,
      userId: `user-${index}`,
      member: member(teamId, `user-${index}`),
      reason: 'member of the group in Entra ID',
    },
    outcome: 'applied',
  }));
}

describe('the audit log, first format (one entity per change)', () => {
  it('spreads a large run over partitions of 1,000 and reads it back whole, in plan order', async () => {
    const tables = testTables();
    const runId = '2026-11-30T10:00:00.000Z-aaaaaa';
    const writes = auditWrites_v1(runId, changes(2_500));
    expect(new Set(writes.map((write) => write.partitionKey))).toEqual(
      new Set([`${runId}~0000`, `${runId}~0001`, `${runId}~0002`]),
    );
    expect(AUDIT_ENTRIES_PER_PARTITION).toBe(1000);
    const report = await tables.applyWrites([
      ...writes,
      // Another run's entries, including one whose id extends this one's, must not be read.
      ...auditWrites_v1(`${runId}0`, changes(3)),
      ...auditWrites_v1('2026-11-30T10:00:00.000Z-aaaaab', changes(3)),
    ]);
    expect(report.applied).toBe(2_506);

    const audit = await createRepository(tables).runAudit(runId);
    expect(audit).toHaveLength(2_500);
    expect(audit.map((entry) => entry.userId)).toEqual(
      Array.from({ length: 2_500 }, (_, index) => `user-${index}`),
    );
  });
});

/** A run's plan as the planner orders it: team changes, user changes, then memberships by team. */
function mixedRun(): AuditEntry[] {
  const teams = ['team-a', 'team-b', 'team-c'];
  const created: AuditEntry[] = teams.map((teamId) => ({
    operation: { kind: 'team-created', teamId, team: team(teamId), reason: `group ${teamId}` },
    outcome: 'applied',
  }));
  const users: AuditEntry[] = ['u1', 'u2'].map((userId) => ({
    operation: {
      kind: 'user-updated',
      userId,
      etag: '*',
      changes: { accountEnabled: false },
      reason: 'profile changed in Entra ID: accountEnabled',
    },
    outcome: 'applied',
  }));
  const memberships = teams.flatMap((teamId) => changes(4, teamId));
  const removal: Operation = {
    kind: 'membership-removed',
    teamId: 'team-b',
    userId: 'gone',
    teamSideEtag: '*',
    userSideEtag: '*',
    reason: 'no longer a member of the group in Entra ID',
  };
  return [...created, ...users, ...memberships, { operation: removal, outcome: 'held' }];
}

describe('the audit log, change sets (one entity per team per run)', () => {
  it('writes one entity per team and one for users, and reads the run back whole, in plan order', async () => {
    const tables = testTables();
    const runId = '2026-12-01T10:00:00.000Z-bbbbbb';
    const entries = mixedRun();
    const writes = auditWrites(runId, entries);
    expect(writes).toHaveLength(4);
    const teamB = writes.find(
      (write) => write.action === 'upsert' && write.properties.teamId === 'team-b',
    );
    expect(teamB?.action === 'upsert' ? teamB.properties : undefined).toMatchObject({
      changes: 6,
      added: 4,
      removed: 0,
    });
    await tables.applyWrites([...writes, ...auditWrites(`${runId}0`, changes(3))]);

    const audit = await createRepository(tables).runAudit(runId);
    expect(audit.map((entry) => entry.rowKey)).toEqual(
      entries.map((_entry, index) => String(index).padStart(7, '0')),
    );
    expect(audit).toEqual(
      entries.map(({ operation, outcome }, index) => {
        const teamId = 'teamId' in operation ? operation.teamId : undefined;
        const userId = 'userId' in operation ? operation.userId : undefined;
        return {
          rowKey: String(index).padStart(7, '0'),
          kind: operation.kind,
          ...(teamId === undefined ? {} : { teamId }),
          ...(userId === undefined ? {} : { userId }),
          reason: operation.reason,
          outcome,
        };
      }),
    );
  });

  it('chunks a team with thousands of changes under the property, entity and transaction limits', async () => {
    const tables = testTables();
    const runId = '2026-12-01T11:00:00.000Z-cccccc';
    const entries = changes(20_000, 'big-team');
    const writes = auditWrites(runId, entries);
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.length).toBeLessThan(20);
    const partitionChars = new Map<string, number>();
    for (const write of writes) {
      if (write.action !== 'upsert') throw new Error('audit writes are upserts');
      const chars = JSON.stringify(write.properties).length;
      // Strings count two bytes a character against the 1 MiB entity limit.
      expect(chars * 2).toBeLessThan(1024 * 1024);
      for (const value of Object.values(write.properties)) {
        if (typeof value === 'string') expect(value.length * 2).toBeLessThan(64 * 1024);
      }
      partitionChars.set(write.partitionKey, (partitionChars.get(write.partitionKey) ?? 0) + chars);
    }
    for (const chars of partitionChars.values()) expect(chars).toBeLessThan(4 * 1024 * 1024);
    const report = await tables.applyWrites(writes);
    expect(report.applied).toBe(writes.length);
    expect(report.requests).toBe(partitionChars.size);

    const audit = await createRepository(tables).runAudit(runId);
    expect(audit).toHaveLength(20_000);
    expect(audit.map((entry) => entry.userId)).toEqual(entries.map((_e, index) => `user-${index}`));
  });

  it('reads a run whose entries are in the first format beside one in change sets', async () => {
    const tables = testTables();
    const older = '2026-11-29T10:00:00.000Z-dddddd';
    const newer = '2026-11-29T11:00:00.000Z-eeeeee';
    await tables.applyWrites([
      ...auditWrites_v1(older, mixedRun()),
      ...auditWrites(newer, mixedRun()),
    ]);
    const repository = createRepository(tables);
    expect(await repository.runAudit(older)).toEqual(await repository.runAudit(newer));
  });
});
