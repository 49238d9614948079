/** Words for operators: the one-line run summary of DESIGN.md and a readable plan. */
import { printable } from '../printable.js';
import { teamOf, userOf, type Operation } from './operations.js';
import type { Plan } from './planner.js';
import type { RunRecord, RunSummary } from './run-records.js';

export function summaryLine(summary: RunSummary): string {
  return [
    `groups ${summary.groups}`,
    `teams created ${summary.teamsCreated}, renamed ${summary.teamsRenamed}, archived ${summary.teamsArchived}, restored ${summary.teamsRestored}`,
    `memberships added ${summary.membershipsAdded}, removed ${summary.membershipsRemoved}, held ${summary.membershipsHeld}, repaired ${summary.membershipsRepaired}`,
    `users created ${summary.usersCreated}, updated ${summary.usersUpdated}`,
    `Graph requests ${summary.graphRequests}`,
    `table writes ${summary.tableWrites}`,
    `${(summary.durationMs / 1000).toFixed(1)} s`,
  ].join('; ');
}

export function runLine(record: RunRecord): string {
  const head = `run ${record.runId} (${record.trigger}) ${record.outcome}`;
  const parts = [head];
  if (record.summary !== undefined) parts.push(summaryLine(record.summary));
  if (record.holdReason !== undefined) parts.push(`HELD: ${record.holdReason}`);
  if (record.incompleteGroups.length > 0) {
    parts.push(
      `${record.incompleteGroups.length} group(s) could not be read completely and were left as they are`,
    );
  }
  if (record.error !== undefined) {
    parts.push(`error ${record.error.code}: ${printable(record.error.message)}`);
  }
  return parts.join(' | ');
}

function describeOperation(operation: Operation): string {
  const teamId = teamOf(operation);
  const userId = userOf(operation);
  const subject = [teamId && `team ${teamId}`, userId && `user ${userId}`]
    .filter(Boolean)
    .join(', ');
  return `${operation.kind.padEnd(20)} ${subject}: ${printable(operation.reason)}`;
}

export function planText(plan: Plan, record: RunRecord): string {
  const lines: string[] = [];
  const interesting = plan.operations.filter((operation) => operation.kind !== 'user-signed-in');
  const settled = plan.held.length === 0 && record.incompleteGroups.length === 0;
  lines.push(
    interesting.length > 0
      ? `${interesting.length} change(s):`
      : settled
        ? 'No changes: the tables already match Entra ID.'
        : 'No changes to apply.',
  );
  for (const operation of interesting) lines.push(`  ${describeOperation(operation)}`);
  if (plan.held.length > 0) {
    lines.push(`${plan.held.length} change(s) held: ${plan.holdReason ?? ''}`);
    for (const operation of plan.held) lines.push(`  ${describeOperation(operation)}`);
  }
  for (const group of record.incompleteGroups) {
    lines.push(`group ${group.groupId} left as it is: ${printable(group.reason)}`);
  }
  return lines.join('\n');
}
