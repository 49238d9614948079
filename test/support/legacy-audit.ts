/**
 * The audit log's first format (one entity per change, in partitions of 1,000 per run), as
 * service versions before the change sets wrote it: old entries must stay readable.
 */
import type { AuditEntry } from '../../shared/store/repository.js';
import type { TableWrite } from '../../shared/store/tables.js';

export const AUDIT_ENTRIES_PER_PARTITION = 1000;

export function legacyAuditWrites(runId: string, entries: readonly AuditEntry[]): TableWrite[] {
  return entries.map(({ operation, outcome }, index) => {
    const teamId = 'teamId' in operation ? operation.teamId : undefined;
    const userId = 'userId' in operation ? operation.userId : undefined;
    const bucket = String(Math.floor(index / AUDIT_ENTRIES_PER_PARTITION)).padStart(4, '0');
    return {
      table: 'audit',
      action: 'upsert',
      partitionKey: `${runId}~${bucket}`,
      rowKey: String(index).padStart(7, '0'),
      properties: {
        kind: operation.kind,
        ...(teamId === undefined ? {} : { teamId }),
        ...(userId === undefined ? {} : { userId }),
        reason: operation.reason,
        outcome,
      },
    };
  });
}
