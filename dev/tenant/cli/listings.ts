/** `groups` and `users`: the tenant as a person reads it, in aligned columns. */
import type { ParsedTenantData } from '../model.js';

function columns(rows: string[][]): string {
  const widths = rows[0]?.map((_cell, index) =>
    Math.max(...rows.map((row) => (row[index] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths?.[index] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

export function groupsListing(state: ParsedTenantData): string {
  const names = new Map<string, string>([
    ...state.users.map((user) => [user.id, user.displayName] as const),
    ...state.groups.map((group) => [group.id, `${group.displayName} (group)`] as const),
  ]);
  const assigned = new Set(state.assignments.map((assignment) => assignment.principalId));
  const rows = state.groups.map((group) => [
    group.displayName,
    group.id,
    assigned.has(group.id) ? 'assigned' : '-',
    `${group.members.length}: ${group.members.map((id) => names.get(id) ?? id).join(', ')}`,
  ]);
  return columns([['GROUP', 'ID', 'APP', 'MEMBERS'], ...rows]);
}

export function usersListing(state: ParsedTenantData): string {
  const rows = state.users.map((user) => [
    user.displayName,
    user.userPrincipalName,
    user.id,
    user.accountEnabled ? 'enabled' : 'disabled',
  ]);
  return columns([['USER', 'SIGN-IN NAME', 'ID', 'ACCOUNT'], ...rows]);
}
