import {
  MEMBER_ROW_PREFIX,
  memberFromEntity,
  memberRowKey,
  TEAM_ROW,
  teamFromEntity,
  USER_ROW,
  USER_TEAM_ROW_PREFIX,
  userFromEntity,
  userTeamFromEntity,
  type Stored,
  type StoredEntity,
  type Team,
  type TeamMember,
  type User,
  type UserTeamLink,
} from './entities.js';
import type { TableStore } from './table-store.js';

/** A team partition: the team row (absent in a half-written or foreign partition) and members. */
export interface TeamRecord {
  readonly teamId: string;
  readonly team: Stored<Team> | undefined;
  readonly members: ReadonlyMap<string, Stored<TeamMember>>;
}

/** A user partition: the user row and the user's membership mirrors. */
export interface UserRecord {
  readonly userId: string;
  readonly user: Stored<User> | undefined;
  readonly teams: ReadonlyMap<string, Stored<UserTeamLink>>;
}

function teamRecord(teamId: string, entities: Iterable<StoredEntity>): TeamRecord {
  let team: Stored<Team> | undefined;
  const members = new Map<string, Stored<TeamMember>>();
  for (const entity of entities) {
    if (entity.rowKey === TEAM_ROW) team = teamFromEntity(entity);
    else if (entity.rowKey.startsWith(MEMBER_ROW_PREFIX)) {
      const member = memberFromEntity(entity);
      members.set(member.userId, member);
    }
  }
  return { teamId, team, members };
}

function userRecord(userId: string, entities: Iterable<StoredEntity>): UserRecord {
  let user: Stored<User> | undefined;
  const teams = new Map<string, Stored<UserTeamLink>>();
  for (const entity of entities) {
    if (entity.rowKey === USER_ROW) user = userFromEntity(entity);
    else if (entity.rowKey.startsWith(USER_TEAM_ROW_PREFIX)) {
      const link = userTeamFromEntity(entity);
      teams.set(link.teamId, link);
    }
  }
  return { userId, user, teams };
}

function groupByPartition(entities: Iterable<StoredEntity>): Map<string, StoredEntity[]> {
  const partitions = new Map<string, StoredEntity[]>();
  for (const entity of entities) {
    const group = partitions.get(entity.partitionKey);
    if (group === undefined) partitions.set(entity.partitionKey, [entity]);
    else group.push(entity);
  }
  return partitions;
}

async function collect(source: AsyncIterable<StoredEntity>): Promise<StoredEntity[]> {
  const entities: StoredEntity[] = [];
  for await (const entity of source) entities.push(entity);
  return entities;
}

/** Typed reads of the `Teams` and `Users` tables of the contract. */
export class SyncStore {
  constructor(readonly tables: TableStore) {}

  async readTeam(teamId: string): Promise<TeamRecord> {
    return teamRecord(teamId, await this.tables.readPartition('teams', teamId));
  }

  async readUser(userId: string): Promise<UserRecord> {
    return userRecord(userId, await this.tables.readPartition('users', userId));
  }

  /** A team row and one user's member row, without reading the other members. */
  async readTeamMembership(teamId: string, userId: string): Promise<TeamRecord> {
    const entities = await Promise.all([
      this.tables.readEntity('teams', teamId, TEAM_ROW),
      this.tables.readEntity('teams', teamId, memberRowKey(userId)),
    ]);
    return teamRecord(
      teamId,
      entities.filter((entity) => entity !== undefined),
    );
  }

  async readAllTeams(): Promise<Map<string, TeamRecord>> {
    const partitions = groupByPartition(await collect(this.tables.listEntities('teams')));
    return new Map(
      [...partitions].map(([teamId, entities]) => [teamId, teamRecord(teamId, entities)]),
    );
  }

  async readAllUsers(): Promise<Map<string, UserRecord>> {
    const partitions = groupByPartition(await collect(this.tables.listEntities('users')));
    return new Map(
      [...partitions].map(([userId, entities]) => [userId, userRecord(userId, entities)]),
    );
  }
}
