/** Reads what a scope's plan needs: one user, a set of teams with their members, or everything. */
import type { CurrentState, TeamRecord, UserRecord } from '../sync/model.js';
import type { StateQuery } from '../sync/scope.js';
import { memberRowKey, TEAM_ROW, type StoredEntity } from './entities.js';
import { mapPooled } from './pool.js';
import { foldPartitions, teamRecord, userRecord } from './records.js';
import type { Tables } from './tables.js';

/** Partitions read at once by a `groups` read. */
const PARTITION_READ_CONCURRENCY = 16;

/** A whole table as records, read page by page (see foldPartitions). */
async function readTable<R>(
  tables: Tables,
  role: 'teams' | 'users',
  build: (partitionKey: string, entities: Iterable<StoredEntity>) => R,
): Promise<Map<string, R>> {
  const { records, unordered } = await foldPartitions(tables.listEntities(role), build);
  for (const key of unordered) records.set(key, build(key, await tables.readPartition(role, key)));
  return records;
}

export async function readTeam(tables: Tables, teamId: string): Promise<TeamRecord> {
  return teamRecord(teamId, await tables.readPartition('teams', teamId));
}

export async function readUser(tables: Tables, userId: string): Promise<UserRecord> {
  return userRecord(userId, await tables.readPartition('users', userId));
}

/** A team row and one user's member row, without reading the other members. */
async function readTeamMembership(
  tables: Tables,
  teamId: string,
  userId: string,
): Promise<TeamRecord> {
  const entities = await Promise.all([
    tables.readEntity('teams', teamId, TEAM_ROW),
    tables.readEntity('teams', teamId, memberRowKey(userId)),
  ]);
  return teamRecord(
    teamId,
    entities.filter((entity) => entity !== undefined),
  );
}

async function readUserScope(tables: Tables, userId: string, teamIds: ReadonlySet<string>) {
  const user = await readUser(tables, userId);
  const inView = new Set([...teamIds, ...user.teams.keys()]);
  const teams = await Promise.all(
    [...inView].map((teamId) => readTeamMembership(tables, teamId, userId)),
  );
  return {
    teams: new Map(teams.map((record) => [record.teamId, record])),
    users: new Map([[userId, user]]),
  };
}

async function readGroupsScope(
  tables: Tables,
  teamIds: ReadonlySet<string>,
  userIds: ReadonlySet<string>,
  memberPartitions: boolean,
) {
  const teams = await mapPooled([...teamIds], PARTITION_READ_CONCURRENCY, (teamId) =>
    readTeam(tables, teamId),
  );
  const members = memberPartitions ? teams.flatMap((record) => [...record.members.keys()]) : [];
  const users = await mapPooled(
    [...new Set([...members, ...userIds])],
    PARTITION_READ_CONCURRENCY,
    (userId) => readUser(tables, userId),
  );
  return {
    teams: new Map(teams.map((record) => [record.teamId, record])),
    users: new Map(users.map((record) => [record.userId, record])),
  };
}

export async function readState(tables: Tables, query: StateQuery): Promise<CurrentState> {
  switch (query.kind) {
    case 'user':
      return readUserScope(tables, query.userId, query.teamIds);
    case 'groups':
      return readGroupsScope(tables, query.teamIds, query.userIds, query.memberPartitions ?? true);
    case 'tenant': {
      const [teams, users] = await Promise.all([
        readTable(tables, 'teams', teamRecord),
        readTable(tables, 'users', userRecord),
      ]);
      return { teams, users };
    }
  }
}
