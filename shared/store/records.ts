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

/**
 * Folds a table read, page by page, into one record per partition, keeping only the records
 * and the partition being read: the raw entities of a page are dropped once folded. Table
 * Storage returns a table in partition order; a partition seen again (never, in practice) is
 * handed back to be read on its own.
 */
export async function foldPartitions<R>(
  source: AsyncIterable<StoredEntity>,
  build: (partitionKey: string, entities: StoredEntity[]) => R,
): Promise<{ readonly records: Map<string, R>; readonly unordered: Set<string> }> {
  const records = new Map<string, R>();
  const unordered = new Set<string>();
  let key: string | undefined;
  let entities: StoredEntity[] = [];
  const close = () => {
    if (key === undefined) return;
    if (records.has(key)) unordered.add(key);
    else records.set(key, build(key, entities));
  };
  for await (const entity of source) {
    if (entity.partitionKey !== key) {
      close();
      key = entity.partitionKey;
      entities = [];
    }
    entities.push(entity);
  }
  close();
  return { records, unordered };
}
