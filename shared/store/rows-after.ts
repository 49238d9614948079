/**
 * The rows as they stand after a set of writes: the records that were read, with what was
 * written over them, so a caller answers from them instead of reading again.
 */
import type { CurrentState } from '../sync/model.js';
import {
  memberProperties,
  memberRowKey,
  TEAM_ROW,
  teamProperties,
  USER_ROW,
  userProperties,
  userTeamProperties,
  userTeamRowKey,
  type EntityProperties,
  type StoredEntity,
} from './entities.js';
import { teamRecord, userRecord } from './records.js';
import type { WriteResult } from './tables.js';

type Partitions = Map<string, Map<string, StoredEntity>>;

function entity(
  partitionKey: string,
  rowKey: string,
  etag: string,
  properties: EntityProperties,
): StoredEntity {
  return { ...properties, partitionKey, rowKey, etag };
}

function partition(partitions: Partitions, key: string): Map<string, StoredEntity> {
  let rows = partitions.get(key);
  if (rows === undefined) {
    rows = new Map<string, StoredEntity>();
    partitions.set(key, rows);
  }
  return rows;
}

function entitiesOf(basis: CurrentState): { teams: Partitions; users: Partitions } {
  const teams: Partitions = new Map();
  for (const record of basis.teams.values()) {
    const rows = partition(teams, record.teamId);
    if (record.team !== undefined) {
      rows.set(
        TEAM_ROW,
        entity(record.teamId, TEAM_ROW, record.team.etag, teamProperties(record.team)),
      );
    }
    for (const member of record.members.values()) {
      const rowKey = memberRowKey(member.userId);
      rows.set(rowKey, entity(record.teamId, rowKey, member.etag, memberProperties(member)));
    }
  }
  const users: Partitions = new Map();
  for (const record of basis.users.values()) {
    const rows = partition(users, record.userId);
    if (record.user !== undefined) {
      rows.set(
        USER_ROW,
        entity(record.userId, USER_ROW, record.user.etag, userProperties(record.user)),
      );
    }
    for (const link of record.teams.values()) {
      const rowKey = userTeamRowKey(link.teamId);
      rows.set(rowKey, entity(record.userId, rowKey, link.etag, userTeamProperties(link)));
    }
  }
  return { teams, users };
}

function applyResult(partitions: Partitions, { write, outcome, etag }: WriteResult): void {
  const rows = partition(partitions, write.partitionKey);
  const before = rows.get(write.rowKey);
  switch (write.action) {
    case 'create':
      // `exists`: someone else created it first; what they wrote is what this write meant.
      if (outcome === 'applied' || outcome === 'exists') {
        rows.set(
          write.rowKey,
          entity(write.partitionKey, write.rowKey, etag ?? '', write.properties),
        );
      }
      return;
    case 'merge':
    case 'upsert':
      if (outcome === 'missing') rows.delete(write.rowKey);
      if (outcome !== 'applied') return;
      rows.set(write.rowKey, {
        ...before,
        ...write.properties,
        partitionKey: write.partitionKey,
        rowKey: write.rowKey,
        etag: etag ?? '',
      });
      return;
    case 'delete':
      if (outcome === 'applied' || outcome === 'missing') rows.delete(write.rowKey);
      return;
  }
}

export function rowsAfter(basis: CurrentState, results: readonly WriteResult[]): CurrentState {
  const { teams, users } = entitiesOf(basis);
  for (const result of results) {
    if (result.write.table === 'teams') applyResult(teams, result);
    else if (result.write.table === 'users') applyResult(users, result);
  }
  return {
    teams: new Map([...teams].map(([teamId, rows]) => [teamId, teamRecord(teamId, rows.values())])),
    users: new Map([...users].map(([userId, rows]) => [userId, userRecord(userId, rows.values())])),
  };
}
