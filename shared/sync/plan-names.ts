/**
 * Names for the teams and users a plan mentions, so `npm run sync` prints them next to the
 * ids: first from the operations themselves (a new team's alias, a new user's name, a new
 * member's e-mail), then from the rows the tables hold, read for at most a few hundred ids so
 * that printing a large plan never costs a pass over the tables.
 */
import type { Repository } from '../store/index.js';
import type { Operation } from './operations.js';
import type { Plan } from './planner.js';
import type { Names } from './report.js';

const MAX_LOOKUPS = 500;
const CONCURRENCY = 16;

function namesInOperations(operations: readonly Operation[]) {
  const teams = new Map<string, string>();
  const users = new Map<string, string>();
  for (const operation of operations) {
    if (operation.kind === 'team-created') teams.set(operation.teamId, operation.team.teamAlias);
    if (operation.kind === 'team-renamed') teams.set(operation.teamId, operation.entraDisplayName);
    if (operation.kind === 'user-created') users.set(operation.userId, operation.user.displayName);
    if (operation.kind === 'membership-added' && operation.member.userEmail !== undefined) {
      if (!users.has(operation.userId)) users.set(operation.userId, operation.member.userEmail);
    }
  }
  return { teams, users };
}

async function lookUp(
  ids: readonly string[],
  read: (id: string) => Promise<string | undefined>,
  into: Map<string, string>,
) {
  const pending = ids.filter((id) => !into.has(id)).slice(0, MAX_LOOKUPS);
  for (let start = 0; start < pending.length; start += CONCURRENCY) {
    await Promise.all(
      pending.slice(start, start + CONCURRENCY).map(async (id) => {
        const name = await read(id).catch(() => undefined);
        if (name !== undefined && name !== '') into.set(id, name);
      }),
    );
  }
}

export async function planNames(plan: Plan, repository: Repository): Promise<Names> {
  const operations = [...plan.operations, ...plan.held];
  const { teams, users } = namesInOperations(operations);
  const teamIds = [...new Set(operations.flatMap((o) => ('teamId' in o ? [o.teamId] : [])))];
  const userIds = [...new Set(operations.flatMap((o) => ('userId' in o ? [o.userId] : [])))];
  await lookUp(teamIds, async (id) => (await repository.readTeam(id)).team?.teamAlias, teams);
  await lookUp(userIds, async (id) => (await repository.readUser(id)).user?.displayName, users);
  return { team: (id) => teams.get(id), user: (id) => users.get(id) };
}
