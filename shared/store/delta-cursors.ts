/**
 * Delta cursors and the last delta round in `SyncState` (partition `delta`, beside the delta
 * round's lease): one entity per cursor, `cursor:<cursorId>`, `round:last`, and
 * `assignments:checked` (when a round last listed the app's assignments). Keys and properties:
 * docs/schema.md.
 */
import { odata } from '@azure/data-tables';
import type {
  DeltaCursor,
  DeltaRoundOutcome,
  DeltaRoundRecord,
  StoredDeltaCursor,
} from '../sync/delta-model.js';
import type { EntityProperties, StoredEntity } from './entities.js';
import { parsedJson, stringListOf } from './entity-values.js';
import { assertValidKey } from './keys.js';
import type { Tables, TableWrite } from './tables.js';

const DELTA_PARTITION = 'delta';
const CURSOR_ROW_PREFIX = 'cursor:';
const LAST_ROUND_ROW = 'round:last';
const ASSIGNMENTS_ROW = 'assignments:checked';

function cursorRowKey(cursorId: string): string {
  return `${CURSOR_ROW_PREFIX}${assertValidKey(cursorId, 'cursor id')}`;
}

function memberGroupsOf(value: unknown): Record<string, string[]> {
  const parsed = parsedJson(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).map(([id, children]) => [
      id,
      Array.isArray(children) ? children.filter((child) => typeof child === 'string') : [],
    ]),
  );
}

function cursorProperties(cursor: DeltaCursor): EntityProperties {
  return {
    cursorId: cursor.cursorId,
    groupIds: JSON.stringify(cursor.groupIds),
    groupCount: cursor.groupIds.length,
    deltaLink: cursor.deltaLink,
    linkIssuedAt: cursor.linkIssuedAt,
    memberGroups: JSON.stringify(cursor.memberGroups),
    assignedGroupIds: JSON.stringify(cursor.assignedGroupIds),
  };
}

function cursorOf(entity: StoredEntity): StoredDeltaCursor | undefined {
  const { cursorId, deltaLink, linkIssuedAt } = entity;
  if (typeof cursorId !== 'string' || typeof deltaLink !== 'string') return undefined;
  return {
    cursorId,
    groupIds: stringListOf(entity.groupIds),
    deltaLink,
    linkIssuedAt: typeof linkIssuedAt === 'string' ? linkIssuedAt : new Date(0).toISOString(),
    memberGroups: memberGroupsOf(entity.memberGroups),
    assignedGroupIds: stringListOf(entity.assignedGroupIds),
    etag: entity.etag,
  };
}

export async function readDeltaCursors(tables: Tables): Promise<StoredDeltaCursor[]> {
  const filter = odata`PartitionKey eq ${DELTA_PARTITION} and RowKey ge ${CURSOR_ROW_PREFIX} and RowKey lt ${'cursor;'}`;
  const cursors: StoredDeltaCursor[] = [];
  for await (const entity of tables.listEntities('state', filter)) {
    const cursor = cursorOf(entity);
    if (cursor !== undefined) cursors.push(cursor);
  }
  return cursors;
}

export interface CursorChanges {
  /** New cursors (no ETag) and changed ones (conditional on the ETag they were read with). */
  readonly save: readonly (DeltaCursor | StoredDeltaCursor)[];
  readonly drop: readonly StoredDeltaCursor[];
}

/** Applies the changes; answers how many entities were written and whether any ETag was stale. */
export async function writeDeltaCursors(
  tables: Tables,
  changes: CursorChanges,
): Promise<{ readonly written: number; readonly conflicts: number }> {
  const key = (cursorId: string) =>
    ({ table: 'state', partitionKey: DELTA_PARTITION, rowKey: cursorRowKey(cursorId) }) as const;
  const writes: TableWrite[] = [
    ...changes.save.map((cursor): TableWrite => {
      const properties = cursorProperties(cursor);
      return 'etag' in cursor
        ? { ...key(cursor.cursorId), action: 'merge', properties, etag: cursor.etag }
        : { ...key(cursor.cursorId), action: 'create', properties };
    }),
    ...changes.drop.map((cursor): TableWrite => ({
      ...key(cursor.cursorId),
      action: 'delete',
      etag: cursor.etag,
    })),
  ];
  if (writes.length === 0) return { written: 0, conflicts: 0 };
  const report = await tables.applyWrites(writes);
  const failed = report.results.find((result) => result.outcome === 'failed');
  if (failed?.error !== undefined) throw failed.error;
  return {
    written: report.applied,
    conflicts: report.results.filter((result) => ['conflict', 'exists'].includes(result.outcome))
      .length,
  };
}

export async function writeDeltaRound(tables: Tables, record: DeltaRoundRecord): Promise<void> {
  const properties: EntityProperties = {
    roundId: record.roundId,
    trigger: record.trigger,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    outcome: record.outcome,
    cursors: record.cursors,
    cursorsStarted: record.cursorsStarted,
    cursorsDropped: record.cursorsDropped,
    changedGroups: JSON.stringify(record.changedGroups.slice(0, 500)),
    syncedGroups: JSON.stringify(record.syncedGroups.slice(0, 500)),
    tableWrites: record.tableWrites,
    graphRequests: record.graphRequests,
    durationMs: record.durationMs,
    ...(record.fullPassRunId === undefined ? {} : { fullPassRunId: record.fullPassRunId }),
    ...(record.detail === undefined ? {} : { detail: record.detail.slice(0, 2000) }),
    ...(record.error === undefined
      ? {}
      : { errorCode: record.error.code, errorMessage: record.error.message.slice(0, 2000) }),
  };
  await tables.applyWrites([
    {
      table: 'state',
      partitionKey: DELTA_PARTITION,
      rowKey: LAST_ROUND_ROW,
      action: 'upsert',
      properties,
    },
  ]);
}

export async function lastDeltaRound(tables: Tables): Promise<DeltaRoundRecord | undefined> {
  const entity = await tables.readEntity('state', DELTA_PARTITION, LAST_ROUND_ROW);
  if (entity === undefined) return undefined;
  const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : undefined);
  const count = (name: string) => (typeof entity[name] === 'number' ? entity[name] : 0);
  const errorCode = text('errorCode');
  return {
    roundId: text('roundId') ?? '',
    trigger: 'delta',
    startedAt: text('startedAt') ?? '',
    endedAt: text('endedAt') ?? '',
    outcome: (text('outcome') ?? 'failed') as DeltaRoundOutcome,
    cursors: count('cursors'),
    cursorsStarted: count('cursorsStarted'),
    cursorsDropped: count('cursorsDropped'),
    changedGroups: stringListOf(entity.changedGroups),
    syncedGroups: stringListOf(entity.syncedGroups),
    tableWrites: count('tableWrites'),
    graphRequests: count('graphRequests'),
    durationMs: count('durationMs'),
    fullPassRunId: text('fullPassRunId'),
    detail: text('detail'),
    error:
      errorCode === undefined
        ? undefined
        : { code: errorCode, message: text('errorMessage') ?? '' },
  };
}

/** When a delta round last listed the app's assignments (ISO time), if one ever did. */
export async function readAssignmentsCheckedAt(tables: Tables): Promise<string | undefined> {
  const entity = await tables.readEntity('state', DELTA_PARTITION, ASSIGNMENTS_ROW);
  return typeof entity?.checkedAt === 'string' ? entity.checkedAt : undefined;
}

export async function writeAssignmentsCheckedAt(tables: Tables, at: Date): Promise<void> {
  await tables.applyWrites([
    {
      table: 'state',
      partitionKey: DELTA_PARTITION,
      rowKey: ASSIGNMENTS_ROW,
      action: 'upsert',
      properties: { checkedAt: at.toISOString() },
    },
  ]);
}
