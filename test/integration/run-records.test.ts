import { describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/store/index.js';
import {
  AUDIT_ENTRIES_PER_PARTITION,
  auditWrites,
  type AuditEntry,
} from '../../shared/store/run-log.js';
import { member } from '../support/fixtures.js';
import { testTables } from '../support/tables.js';

function changes(count: number): AuditEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    operation: {
      kind: 'membership-added',
      teamId: 'team',
      userId: `user-${index}`,
      member: member('team', `user-${index}`),
      reason: 'member of the group in Entra ID',
    },
    outcome: 'applied',
  }));
}

describe('the audit log', () => {
  it('spreads a large run over partitions of 1,000 and reads it back whole, in plan order', async () => {
    const tables = testTables();
    const runId = '2026-11-30T10:00:00.000Z-aaaaaa';
    const writes = auditWrites(runId, changes(2_500));
    expect(new Set(writes.map((write) => write.partitionKey))).toEqual(
      new Set([`${runId}~0000`, `${runId}~0001`, `${runId}~0002`]),
    );
    expect(AUDIT_ENTRIES_PER_PARTITION).toBe(1000);
    const report = await tables.applyWrites([
      ...writes,
      // Another run's entries, including one whose id extends this one's, must not be read.
      ...auditWrites(`${runId}0`, changes(3)),
      ...auditWrites('2026-11-30T10:00:00.000Z-aaaaab', changes(3)),
    ]);
    expect(report.applied).toBe(2_506);

    const audit = await createRepository(tables).runAudit(runId);
    expect(audit).toHaveLength(2_500);
    expect(audit.map((entry) => entry.userId)).toEqual(
      Array.from({ length: 2_500 }, (_, index) => `user-${index}`),
    );
  });
});
