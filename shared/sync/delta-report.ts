/** The one-line summary of a delta round, for logs and the command line. */
import { printable } from '../printable.js';
import type { DeltaRoundRecord } from './delta-model.js';

export function deltaRoundLine(record: DeltaRoundRecord): string {
  const parts = [
    `delta round ${record.roundId} ${record.outcome}`,
    `cursors ${record.cursors} (started ${record.cursorsStarted}, dropped ${record.cursorsDropped})`,
    `groups changed ${record.changedGroups.length}, synced ${record.syncedGroups.length}`,
    `Graph requests ${record.graphRequests}`,
    `table writes ${record.tableWrites}`,
    `${(record.durationMs / 1000).toFixed(1)} s`,
  ];
  if (record.fullPassRunId !== undefined) parts.push(`full pass ${record.fullPassRunId}`);
  if (record.detail !== undefined) parts.push(printable(record.detail));
  if (record.error !== undefined) {
    parts.push(`error ${record.error.code}: ${printable(record.error.message)}`);
  }
  return parts.join(' | ');
}
