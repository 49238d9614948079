/**
 * Operator edits as the gateway (or Storage Explorer) makes them: unconditional merges into the
 * rows that exist, recorded in the model as what no sync may ever overwrite.
 */
import type { TableRole } from '../../shared/store/index.js';
import type { EntityProperties } from '../../shared/store/entities.js';
import type { Tables } from '../../shared/store/tables.js';
import type { CurrentState } from '../../shared/sync/model.js';
import type { Command } from './commands.js';
import { OPERATOR_ROLES, pairKey, type TenantModel } from './model.js';
import { pick } from './tenant-driver.js';

async function operatorWrites(
  tables: Tables,
  role: TableRole,
  partitionKey: string,
  rowKey: string,
  properties: EntityProperties,
) {
  const client = await tables.table(role);
  await client.upsertEntity({ partitionKey, rowKey, ...properties }, 'Merge');
}

/** Applies an operator edit; answers what it did, or undefined when there was nothing to edit. */
export async function operatorEdit(
  command: Command,
  state: CurrentState,
  tables: Tables,
  model: TenantModel,
  nextNumber: () => number,
): Promise<string | undefined> {
  const teamIds = [...state.teams.keys()].filter((id) => state.teams.get(id)?.team).sort();
  const userIds = [...state.users.keys()].filter((id) => state.users.get(id)?.user).sort();
  const { operator } = model;
  switch (command.kind) {
    case 'setBudget': {
      const teamId = pick(teamIds, command.team);
      if (teamId === undefined) return;
      await operatorWrites(tables, 'teams', teamId, 'team', { maxBudget: command.budget });
      operator.budgets.set(teamId, command.budget);
      return `operator: budget of ${teamId.slice(-3)} = ${command.budget}`;
    }
    case 'setAlias': {
      const teamId = pick(teamIds, command.team);
      if (teamId === undefined) return;
      // Never a name a group has: an alias equal to the group's name follows it, by rule.
      const alias = `Alias ${nextNumber()}`;
      await operatorWrites(tables, 'teams', teamId, 'team', { teamAlias: alias });
      operator.aliases.set(teamId, alias);
      return `operator: alias of ${teamId.slice(-3)} = ${alias}`;
    }
    case 'setRole': {
      const userId = pick(userIds, command.user);
      const role = OPERATOR_ROLES[command.role % OPERATOR_ROLES.length] ?? OPERATOR_ROLES[0];
      if (userId === undefined) return;
      await operatorWrites(tables, 'users', userId, 'user', { userRole: role });
      operator.roles.set(userId, role);
      return `operator: role of ${userId.slice(-3)} = ${role}`;
    }
    case 'addManual': {
      const teamId = pick(teamIds, command.team);
      const userId = pick(userIds, command.user);
      if (teamId === undefined || userId === undefined) return;
      const fields = { role: command.role, source: 'manual', addedAt: '2026-01-01T00:00:00.000Z' };
      await operatorWrites(tables, 'teams', teamId, `member:${userId}`, { userId, ...fields });
      await operatorWrites(tables, 'users', userId, `team:${teamId}`, { teamId, ...fields });
      operator.manual.set(pairKey(teamId, userId), { teamId, userId, role: command.role });
      return `operator: ${userId.slice(-3)} in ${teamId.slice(-3)} by hand (${command.role})`;
    }
    default:
      return undefined;
  }
}
