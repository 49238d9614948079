/** Entities of a partition, as the domain's team and user records. */
import type {
  Stored,
  Team,
  TeamMember,
  TeamRecord,
  User,
  UserRecord,
  UserTeamLink,
} from '../sync/model.js';
import {
  MEMBER_ROW_PREFIX,
  memberFromEntity,
  TEAM_ROW,
  teamFromEntity,
  USER_ROW,
  USER_TEAM_ROW_PREFIX,
  userFromEntity,
  userTeamFromEntity,
  type StoredEntity,
} from './entities.js';

export function teamRecord(teamId: string, entities: Iterable<StoredEntity>): TeamRecord {
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

export function userRecord(userId: string, entities: Iterable<StoredEntity>): UserRecord {
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

export function groupByPartition(entities: Iterable<StoredEntity>): Map<string, StoredEntity[]> {
  const partitions = new Map<string, StoredEntity[]>();
  for (const entity of entities) {
    const group = partitions.get(entity.partitionKey);
    if (group === undefined) partitions.set(entity.partitionKey, [entity]);
    else group.push(entity);
  }
  return partitions;
}

export function teamRecords(entities: Iterable<StoredEntity>): Map<string, TeamRecord> {
  return new Map(
    [...groupByPartition(entities)].map(([teamId, group]) => [teamId, teamRecord(teamId, group)]),
  );
}

export function userRecords(entities: Iterable<StoredEntity>): Map<string, UserRecord> {
  return new Map(
    [...groupByPartition(entities)].map(([userId, group]) => [userId, userRecord(userId, group)]),
  );
}
