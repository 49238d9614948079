/**
 * Run records (`SyncRuns`, newest first) as entities, and the queries that read them back. The
 * audit log is `audit-log.ts`.
 */
import { odata } from '@azure/data-tables';
import {
  RUN_SUMMARY_FIELDS,
  type HeldChange,
  type IncompleteGroup,
  type RunOutcome,
  type RunRecord,
  type RunSummary,
  type RunTrigger,
} from '../sync/run-records.js';
import type { EntityProperties, StoredEntity } from './entities.js';
import { jsonList } from './entity-values.js';
import type { Tables } from './tables.js';

const RUNS_PARTITION = 'runs';
/** Table Storage caps a string property at 64 KiB; JSON lists are cut well below that. */
const MAX_JSON_PROPERTY_CHARS = 30_000;
const MAX_TICKS = 9_999_999_999_999;

/** Newest first in the table: the row key counts down from the run's start. */
function runRowKey(record: RunRecord): string {
  const suffix = record.runId.slice(record.startedAt.length + 1);
  const ticks = MAX_TICKS - Date.parse(record.startedAt);
  return `${String(ticks).padStart(13, '0')}-${suffix}`;
}

function limitedJson(items: readonly unknown[]): string {
  const text = JSON.stringify(items);
  if (text.length <= MAX_JSON_PROPERTY_CHARS) return text;
  const kept: unknown[] = [];
  let length = 2;
  for (const item of items) {
    const itemText = JSON.stringify(item);
    if (length + itemText.length + 80 > MAX_JSON_PROPERTY_CHARS) break;
    kept.push(item);
    length += itemText.length + 1;
  }
  kept.push({ truncated: items.length - kept.length });
  return JSON.stringify(kept);
}

const SUMMARY_FIELDS = RUN_SUMMARY_FIELDS;

export function runProperties(record: RunRecord): EntityProperties {
  const properties: EntityProperties = {
    runId: record.runId,
    trigger: record.trigger,
    startedAt: record.startedAt,
    outcome: record.outcome,
    heldJson: limitedJson(record.held),
    incompleteGroupsJson: limitedJson(record.incompleteGroups),
  };
  if (record.endedAt !== undefined) properties.endedAt = record.endedAt;
  if (record.holdReason !== undefined) properties.holdReason = record.holdReason;
  if (record.allowEmptyAssignments === true) properties.allowEmptyAssignments = true;
  if (record.error !== undefined) {
    properties.errorCode = record.error.code;
    properties.errorMessage = record.error.message;
  }
  if (record.summary !== undefined) {
    for (const name of SUMMARY_FIELDS) properties[name] = record.summary[name];
  }
  return properties;
}

export function runFromEntity(entity: StoredEntity): RunRecord {
  const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : undefined);
  const hasSummary = typeof entity.groups === 'number';
  const summary = hasSummary
    ? (Object.fromEntries(
        SUMMARY_FIELDS.map((name) => [name, typeof entity[name] === 'number' ? entity[name] : 0]),
      ) as unknown as RunSummary)
    : undefined;
  const errorCode = text('errorCode');
  return {
    runId: text('runId') ?? entity.rowKey,
    trigger: (text('trigger') ?? 'timer') as RunTrigger,
    startedAt: text('startedAt') ?? '',
    endedAt: text('endedAt'),
    outcome: (text('outcome') ?? 'failed') as RunOutcome,
    summary,
    holdReason: text('holdReason'),
    held: jsonList<HeldChange>(entity.heldJson),
    incompleteGroups: jsonList<IncompleteGroup>(entity.incompleteGroupsJson),
    allowEmptyAssignments: entity.allowEmptyAssignments === true ? true : undefined,
    error:
      errorCode === undefined
        ? undefined
        : { code: errorCode, message: text('errorMessage') ?? '' },
  };
}

export async function writeRun(tables: Tables, record: RunRecord): Promise<void> {
  const report = await tables.applyWrites([
    {
      table: 'runs',
      action: 'upsert',
      partitionKey: RUNS_PARTITION,
      rowKey: runRowKey(record),
      properties: runProperties(record),
    },
  ]);
  const failure = report.results.find((result) => result.outcome !== 'applied');
  if (failure?.error !== undefined) throw failure.error;
}

export async function recentRuns(tables: Tables, limit: number): Promise<RunRecord[]> {
  const page = await tables.listPage('runs', {
    filter: odata`PartitionKey eq ${RUNS_PARTITION}`,
    pageSize: limit,
  });
  return page.entities.slice(0, limit).map(runFromEntity);
}

/** The run record with this run id (the row key is not the run id: see runRowKey). */
export async function findRun(tables: Tables, runId: string): Promise<RunRecord | undefined> {
  const page = await tables.listPage('runs', {
    filter: odata`PartitionKey eq ${RUNS_PARTITION} and runId eq ${runId}`,
    pageSize: 1,
  });
  const entity = page.entities[0];
  return entity === undefined ? undefined : runFromEntity(entity);
}
