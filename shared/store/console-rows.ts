/**
 * What the operator console reads besides the read API's queries: pages of user rows, user
 * rows by id (names next to ids in a run's changes), and the log of held removals released
 * from the console, kept in `SyncAudit` under a partition of its own (run partitions are
 * `<runId>~NNNN`, so `releases` never meets one).
 */
import { odata } from '@azure/data-tables';
import type { Stored, User } from '../sync/model.js';
import { USER_ROW, userFromEntity, type StoredEntity } from './entities.js';
import { mapPooled } from './pool.js';
import type { Tables } from './tables.js';

const RELEASES_PARTITION = 'releases';
const MAX_TICKS = 9_999_999_999_999;
const USER_READ_CONCURRENCY = 16;

export interface UserRowPage {
  readonly users: readonly Stored<User>[];
  /** The SDK's token for the next page; undefined when there is none. */
  readonly continuationToken: string | undefined;
}

/** A release of held removals from the console: who, when, and what the run did. */
export interface ReleaseRecord {
  readonly releasedAt: string;
  readonly releasedBy: string;
  readonly releasedByName: string;
  /** The held run whose removals were released. */
  readonly heldRunId: string;
  /** The run that applied them. */
  readonly runId: string;
  readonly maxMembershipRemovals: number;
  readonly outcome: string;
}

export async function userRowPage(
  tables: Tables,
  options: { readonly pageSize: number; readonly continuationToken: string | undefined },
): Promise<UserRowPage> {
  const page = await tables.listPage('users', {
    filter: odata`RowKey eq ${USER_ROW}`,
    pageSize: options.pageSize,
    continuationToken: options.continuationToken,
  });
  return { users: page.entities.map(userFromEntity), continuationToken: page.continuationToken };
}

export async function userRows(
  tables: Tables,
  userIds: readonly string[],
): Promise<Map<string, Stored<User>>> {
  const entities = await mapPooled(userIds, USER_READ_CONCURRENCY, (userId) =>
    tables.readEntity('users', userId, USER_ROW),
  );
  const rows = new Map<string, Stored<User>>();
  for (const entity of entities) {
    if (entity !== undefined) rows.set(entity.partitionKey, userFromEntity(entity));
  }
  return rows;
}

function releaseFromEntity(entity: StoredEntity): ReleaseRecord {
  const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : '');
  return {
    releasedAt: text('releasedAt'),
    releasedBy: text('releasedBy'),
    releasedByName: text('releasedByName'),
    heldRunId: text('heldRunId'),
    runId: text('runId'),
    maxMembershipRemovals:
      typeof entity.maxMembershipRemovals === 'number' ? entity.maxMembershipRemovals : 0,
    outcome: text('outcome'),
  };
}

export async function writeRelease(tables: Tables, release: ReleaseRecord): Promise<void> {
  // Newest first, as the run records: the row key counts down from the release time.
  const ticks = String(MAX_TICKS - Date.parse(release.releasedAt)).padStart(13, '0');
  const report = await tables.applyWrites([
    {
      table: 'audit',
      action: 'upsert',
      partitionKey: RELEASES_PARTITION,
      rowKey: `${ticks}-${release.runId}`,
      properties: { ...release },
    },
  ]);
  const failure = report.results.find((result) => result.outcome !== 'applied');
  if (failure?.error !== undefined) throw failure.error;
}

export async function recentReleases(tables: Tables, limit: number): Promise<ReleaseRecord[]> {
  const page = await tables.listPage('audit', {
    filter: odata`PartitionKey eq ${RELEASES_PARTITION}`,
    pageSize: limit,
  });
  return page.entities.slice(0, limit).map(releaseFromEntity);
}
