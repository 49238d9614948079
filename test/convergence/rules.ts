/**
 * What the convergence suite checks, as pure functions of the model and what the tables hold:
 * the rules that hold after every command, and the oracle's desired state after convergence.
 * Each answers the rules broken, in words (none: all held).
 */
import { holdsRemovalsOf, type GuardHold } from '../../shared/sync/guard-hold.js';
import type { CurrentState } from '../../shared/sync/model.js';
import { emailOf, pairKey, type TenantModel } from './model.js';

type MembershipRows = Map<string, { role: string; source: string }>;

/** Team-side and user-side membership rows: `team|user` → role and source. */
export function memberships(state: CurrentState): {
  teamSide: MembershipRows;
  userSide: MembershipRows;
} {
  const teamSide: MembershipRows = new Map();
  const userSide: MembershipRows = new Map();
  for (const record of state.teams.values()) {
    for (const m of record.members.values()) {
      teamSide.set(pairKey(m.teamId, m.userId), { role: m.role, source: m.source });
    }
  }
  for (const record of state.users.values()) {
    for (const link of record.teams.values()) {
      userSide.set(pairKey(link.teamId, link.userId), { role: link.role, source: link.source });
    }
  }
  return { teamSide, userSide };
}

/** Manual memberships and operator edits as the operator left them. */
export function operatorWorkKept(model: TenantModel, after: CurrentState): string[] {
  const broken: string[] = [];
  const { operator } = model;
  const rows = memberships(after);
  for (const [key, manual] of operator.manual) {
    for (const [side, sideRows] of Object.entries(rows)) {
      const row = sideRows.get(key);
      if (row?.source !== 'manual' || row.role !== manual.role) {
        broken.push(`manual membership ${key} ${side} is ${JSON.stringify(row)}`);
      }
    }
  }
  for (const [teamId, budget] of operator.budgets) {
    const found = after.teams.get(teamId)?.team?.maxBudget;
    if (found !== budget) broken.push(`budget of ${teamId} is ${found} (operator set ${budget})`);
  }
  for (const [teamId, alias] of operator.aliases) {
    const found = after.teams.get(teamId)?.team?.teamAlias;
    if (found !== alias) broken.push(`alias of ${teamId} is ${found} (operator set ${alias})`);
  }
  for (const [userId, role] of operator.roles) {
    const found = after.users.get(userId)?.user?.userRole;
    if (found !== role) broken.push(`role of ${userId} is ${found} (operator set ${role})`);
  }
  return broken;
}

/**
 * Between two reads with Entra unchanged in between: no Entra membership removed that Entra
 * still has, at most `maxRemovals` removed (the mass-removal guard of one run), and none removed
 * from a team whose removals a full pass held (`hold`, for syncs that are not full passes).
 */
export function removalsAllowed(
  model: TenantModel,
  before: CurrentState,
  after: CurrentState,
  limits: { readonly maxRemovals: number; readonly hold?: GuardHold | undefined },
): string[] {
  const broken: string[] = [];
  const then = memberships(before);
  const now = memberships(after);
  let removed = 0;
  for (const side of ['teamSide', 'userSide'] as const) {
    for (const [key, row] of then[side]) {
      if (row.source !== 'entra' || now[side].has(key)) continue;
      if (side === 'teamSide') removed += 1;
      const [teamId = '', userId = ''] = key.split('|');
      if (model.entraMembersOf(teamId).has(userId)) {
        broken.push(`${key} (${side}) removed while Entra still has it`);
      }
      if (holdsRemovalsOf(limits.hold, teamId)) {
        broken.push(`${key} (${side}) removed while full pass ${limits.hold?.runId} holds it`);
      }
    }
  }
  if (removed > limits.maxRemovals) {
    broken.push(`${removed} memberships removed in one run (guard ${limits.maxRemovals})`);
  }
  return broken;
}

function teamProblems(model: TenantModel, state: CurrentState): string[] {
  const problems: string[] = [];
  const { operator } = model;
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  for (const group of model.assignedGroups()) {
    expect(state.teams.get(group.id)?.team !== undefined, `no team for ${group.displayName}`);
  }
  for (const [teamId, record] of state.teams) {
    const team = record.team;
    if (team === undefined) {
      problems.push(`partition ${teamId} has no team row`);
      continue;
    }
    expect(model.everAssigned.has(teamId), `team ${teamId} for a group never assigned`);
    expect(team.source === 'entra' && team.entraGroupId === teamId, `team ${teamId} source`);
    expect(
      team.maxBudget === (operator.budgets.get(teamId) ?? 100) && team.budgetDuration === '30d',
      `team ${teamId} budget ${team.maxBudget} ${team.budgetDuration}`,
    );
    const group = model.groups.get(teamId);
    const alias = operator.aliases.get(teamId);
    if (model.isAssigned(teamId) && group !== undefined) {
      expect(!team.archived, `team ${group.displayName} archived`);
      expect(
        team.entraDisplayName === group.displayName,
        `team ${teamId} named ${team.entraDisplayName}, expected ${group.displayName}`,
      );
      expect(
        team.teamAlias === (alias ?? group.displayName),
        `team ${teamId} alias ${team.teamAlias}, expected ${alias ?? group.displayName}`,
      );
    } else {
      expect(team.archived, `team ${teamId} of an unassigned group is not archived`);
      expect(alias === undefined || team.teamAlias === alias, `team ${teamId} alias`);
    }
  }
  return problems;
}

function membershipProblems(model: TenantModel, state: CurrentState): string[] {
  const problems: string[] = [];
  const expected = model.expectedMemberships(state.teams.keys());
  const show = (rows: MembershipRows) => JSON.stringify([...rows].sort());
  for (const [side, rows] of Object.entries(memberships(state))) {
    if (show(rows) !== show(expected)) {
      problems.push(`${side} memberships ${show(rows)}, expected ${show(expected)}`);
    }
  }
  for (const record of state.teams.values()) {
    for (const member of record.members.values()) {
      const user = model.users.get(member.userId);
      if (member.source !== 'entra' || user === undefined) continue;
      if (member.userEmail !== emailOf(user)) {
        problems.push(`member ${member.userId} of ${member.teamId} has email ${member.userEmail}`);
      }
    }
  }
  return problems;
}

function userProblems(model: TenantModel, state: CurrentState): string[] {
  const problems: string[] = [];
  for (const userId of state.users.keys()) {
    if (!model.everInView.has(userId)) problems.push(`user row ${userId} for a user never in view`);
  }
  for (const userId of model.usersInView()) {
    const row = state.users.get(userId)?.user;
    const user = model.users.get(userId);
    if (row === undefined || user === undefined) {
      problems.push(`no user row for ${userId}`);
      continue;
    }
    if (user.deleted) {
      if (!row.deletedInEntra) problems.push(`deleted user ${userId} not flagged`);
      continue;
    }
    const entraRole = model.entraRoleOf(userId);
    const wanted: Record<string, unknown> = {
      userEmail: emailOf(user),
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      accountEnabled: user.accountEnabled,
      deletedInEntra: false,
      entraRole,
      userRole: model.operator.roles.get(userId) ?? entraRole,
      maxBudget: 10,
    };
    const found = Object.fromEntries(
      Object.keys(wanted).map((key) => [key, (row as unknown as Record<string, unknown>)[key]]),
    );
    if (JSON.stringify(found) !== JSON.stringify(wanted)) {
      problems.push(`user ${userId}: ${JSON.stringify(found)}, expected ${JSON.stringify(wanted)}`);
    }
  }
  return problems;
}

/**
 * The oracle: after a fault-free full pass the tables hold a live team per assigned group (its
 * name, the operator's alias or else the name, the operator's budget or else the default), an
 * archived one for every other group that had one, exactly the Entra members (transitive) plus
 * the manual ones on both sides, and every user in view with Entra's profile and role (or the
 * operator's role).
 */
export function desiredStateProblems(model: TenantModel, state: CurrentState): string[] {
  return [
    ...teamProblems(model, state),
    ...membershipProblems(model, state),
    ...userProblems(model, state),
  ];
}
