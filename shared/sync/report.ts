/** Words for operators: the one-line run summary of DESIGN.md and a readable plan. */
import { printable } from '../printable.js';
import { teamOf, userOf, type Operation, type OperationKind } from './operations.js';
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

/** What a team or a user is called, where the caller knows it: printed next to the id. */
export interface Names {
  team(teamId: string): string | undefined;
  user(userId: string): string | undefined;
}

const NO_NAMES: Names = { team: () => undefined, user: () => undefined };

/** The order a plan is printed in: what an operator reads first comes first. */
const KIND_ORDER: readonly OperationKind[] = [
  'team-created',
  'team-renamed',
  'team-restored',
  'team-archived',
  'user-created',
  'user-updated',
  'membership-added',
  'membership-removed',
  'membership-repaired',
  'user-signed-in',
];

function named(what: 'team' | 'user', id: string, name: string | undefined): string {
  return name === undefined || name === ''
    ? `${what} ${id}`
    : `${what} "${printable(name)}" (${id})`;
}

function describeOperation(operation: Operation, names: Names): string {
  const teamId = teamOf(operation);
  const userId = userOf(operation);
  const subject = [
    teamId && named('team', teamId, names.team(teamId)),
    userId && named('user', userId, names.user(userId)),
  ]
    .filter(Boolean)
    .join(', ');
  return `${operation.kind.padEnd(20)} ${subject}: ${printable(operation.reason)}`;
}

/** The operations grouped by kind (in KIND_ORDER), each group in plan order. */
function byKind(operations: readonly Operation[]): Operation[][] {
  return KIND_ORDER.map((kind) => operations.filter((operation) => operation.kind === kind)).filter(
    (group) => group.length > 0,
  );
}

function operationLines(
  operations: readonly Operation[],
  names: Names,
  summaryOnly: boolean,
): string[] {
  return byKind(operations).flatMap((group) =>
    summaryOnly
      ? [`  ${(group[0]?.kind ?? '').padEnd(20)} ${group.length}`]
      : group.map((operation) => `  ${describeOperation(operation, names)}`),
  );
}

export interface PlanTextOptions {
  readonly names?: Names;
  /** Counts per kind of change instead of one line per change. */
  readonly summaryOnly?: boolean;
}

export function planText(plan: Plan, record: RunRecord, options: PlanTextOptions = {}): string {
  const names = options.names ?? NO_NAMES;
  const summaryOnly = options.summaryOnly ?? false;
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
  lines.push(...operationLines(interesting, names, summaryOnly));
  if (plan.held.length > 0) {
    lines.push(`${plan.held.length} change(s) held: ${plan.holdReason ?? ''}`);
    lines.push(...operationLines(plan.held, names, summaryOnly));
  }
  for (const group of record.incompleteGroups) {
    lines.push(`group ${group.groupId} left as it is: ${printable(group.reason)}`);
  }
  return lines.join('\n');
}
