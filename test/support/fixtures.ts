import type { Team, TeamMember, User } from '../../shared/sync/model.js';

export const NOW = '2026-11-30T10:00:00.000Z';

/** A GUID-shaped id whose order follows `n` (Table Storage returns keys in order). */
export function guid(prefix: string, n: number): string {
  return `${prefix}-0000-4000-8000-${n.toString().padStart(12, '0')}`;
}

export function team(teamId: string, overrides: Partial<Team> = {}): Team {
  return {
    teamId,
    teamAlias: `Team ${teamId}`,
    source: 'entra',
    entraGroupId: teamId,
    entraDisplayName: `Team ${teamId}`,
    maxBudget: 100,
    budgetDuration: '30d',
    models: ['gpt-4o'],
    tpmLimit: 100000,
    rpmLimit: 1000,
    teamMemberPermissions: [],
    archived: false,
    createdAt: NOW,
    createdBy: 'reconcile',
    ...overrides,
  };
}

export function user(userId: string, overrides: Partial<User> = {}): User {
  return {
    userId,
    userEmail: 'ada@contoso.example',
    displayName: 'Ada Lovelace',
    userPrincipalName: 'ada@contoso.example',
    userRole: 'internal_user',
    maxBudget: 10,
    budgetDuration: '30d',
    models: [],
    source: 'entra',
    accountEnabled: true,
    deletedInEntra: false,
    createdAt: NOW,
    lastSignInAt: NOW,
    ...overrides,
  };
}

export function member(
  teamId: string,
  userId: string,
  overrides: Partial<TeamMember> = {},
): TeamMember {
  return {
    teamId,
    userId,
    role: 'user',
    source: 'entra',
    addedAt: NOW,
    userEmail: `${userId}@contoso.example`,
    ...overrides,
  };
}
