/**
 * The service's own bookkeeping, beside the contract tables: one run record per
 * reconciliation (`SyncRuns`), one audit entry per change (`SyncAudit`), and the lease that
 * keeps two reconciliations from running at once (`SyncState`). Documented in docs/schema.md.
 */
import { randomBytes } from 'node:crypto';
import { SyncServiceError } from '../errors.js';
import type { EntityProperties, StoredEntity, TableStore, TableWrite } from '../store/index.js';
import type { PlannedChange, PlanSummary } from './planner.js';

export const RUNS_PARTITION = 'runs';
const LEASE_PARTITION = 'reconcile';
const LEASE_ROW = 'lease';
/** Table Storage caps a string property at 64 KiB; JSON lists are cut well below that. */
const MAX_JSON_PROPERTY_CHARS = 30_000;
const MAX_TICKS = 9_999_999_999_999;

export type RunTrigger = 'timer' | 'cli' | 'http';
export type RunOutcome = 'running' | 'succeeded' | 'held' | 'partial' | 'failed';

export interface RunSummary extends PlanSummary {
  groups: number;
  incompleteGroups: number;
  conflicts: number;
  failedWrites: number;
  graphRequests: number;
  tableWrites: number;
  durationMs: number;
}

export interface HeldChange {
  readonly kind: string;
  readonly teamId?: string | undefined;
  readonly userId?: string | undefined;
  readonly reason: string;
}

export interface RunRecord {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: string;
  readonly endedAt?: string | undefined;
  readonly outcome: RunOutcome;
  readonly summary?: RunSummary | undefined;
  readonly holdReason?: string | undefined;
  readonly held: readonly HeldChange[];
  readonly incompleteGroups: readonly { groupId: string; reason: string }[];
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** Newest first in the table: the row key counts down with time. */
export function newRunId(startedAt: Date): { runId: string; rowKey: string } {
  const suffix = randomBytes(3).toString('hex');
  const rowKey = `${String(MAX_TICKS - startedAt.getTime()).padStart(13, '0')}-${suffix}`;
  return { runId: `${startedAt.toISOString()}-${suffix}`, rowKey };
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

const SUMMARY_FIELDS: readonly (keyof RunSummary)[] = [
  'groups',
  'teamsCreated',
  'teamsRenamed',
  'teamsArchived',
  'teamsRestored',
  'teamsHeld',
  'usersCreated',
  'usersUpdated',
  'membershipsAdded',
  'membershipsRemoved',
  'membershipsRepaired',
  'membershipsHeld',
  'incompleteGroups',
  'conflicts',
  'failedWrites',
  'graphRequests',
  'tableWrites',
  'durationMs',
];

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
  if (record.error !== undefined) {
    properties.errorCode = record.error.code;
    properties.errorMessage = record.error.message;
  }
  if (record.summary !== undefined) {
    for (const name of SUMMARY_FIELDS) properties[name] = record.summary[name];
  }
  return properties;
}

function parseList<T>(value: unknown): T[] {
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
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
    held: parseList<HeldChange>(entity.heldJson),
    incompleteGroups: parseList<{ groupId: string; reason: string }>(entity.incompleteGroupsJson),
    error:
      errorCode === undefined
        ? undefined
        : { code: errorCode, message: text('errorMessage') ?? '' },
  };
}

export function heldChange(change: PlannedChange): HeldChange {
  return { kind: change.kind, teamId: change.teamId, userId: change.userId, reason: change.reason };
}

/**
 * A run's audit entries are spread over partitions of at most this many entries, so a large
 * first run writes them in parallel transactions instead of one ever-growing partition in series
 * (measured: 25,000 entries in one partition took 124 s on Azurite, 93% of the run).
 */
export const AUDIT_ENTRIES_PER_PARTITION = 1000;

function auditPartition(runId: string, index: number): string {
  return `${runId}~${String(Math.floor(index / AUDIT_ENTRIES_PER_PARTITION)).padStart(4, '0')}`;
}

/** One audit entry per change, in plan order, in the run's partitions `<runId>~0000`, `~0001`… */
export function auditWrites(
  runId: string,
  entries: readonly { change: PlannedChange; outcome: string }[],
): TableWrite[] {
  return entries.map(({ change, outcome }, index) => ({
    table: 'audit',
    action: 'upsert',
    partitionKey: auditPartition(runId, index),
    rowKey: String(index).padStart(7, '0'),
    properties: {
      kind: change.kind,
      ...(change.teamId === undefined ? {} : { teamId: change.teamId }),
      ...(change.userId === undefined ? {} : { userId: change.userId }),
      reason: change.reason,
      outcome,
    },
  }));
}

export async function writeRun(
  tables: TableStore,
  rowKey: string,
  record: RunRecord,
): Promise<void> {
  const report = await tables.applyWrites([
    {
      table: 'runs',
      action: 'upsert',
      partitionKey: RUNS_PARTITION,
      rowKey,
      properties: runProperties(record),
    },
  ]);
  const failure = report.results.find((result) => result.outcome !== 'applied');
  if (failure?.error !== undefined) throw failure.error;
}

export async function recentRuns(tables: TableStore, limit: number): Promise<RunRecord[]> {
  const page = await tables.listPage('runs', {
    filter: `PartitionKey eq '${RUNS_PARTITION}'`,
    pageSize: limit,
  });
  return page.entities.slice(0, limit).map(runFromEntity);
}

/** The run record with this run id (the row key is not the run id: see newRunId). */
export async function findRun(tables: TableStore, runId: string): Promise<RunRecord | undefined> {
  const escaped = runId.replaceAll("'", "''");
  const page = await tables.listPage('runs', {
    filter: `PartitionKey eq '${RUNS_PARTITION}' and runId eq '${escaped}'`,
    pageSize: 1,
  });
  const entity = page.entities[0];
  return entity === undefined ? undefined : runFromEntity(entity);
}

export async function runAudit(tables: TableStore, runId: string): Promise<StoredEntity[]> {
  const escaped = runId.replaceAll("'", "''");
  // Every `<runId>~NNNN` partition: ':' sorts right after the digits.
  const filter = `PartitionKey ge '${escaped}~' and PartitionKey lt '${escaped}~:'`;
  const entries: StoredEntity[] = [];
  for await (const entity of tables.listEntities('audit', filter)) entries.push(entity);
  return entries;
}

export interface Lease {
  /** Extends the lease from `now`; throws `sync_refused` if another run has taken it over. */
  renew(now: Date): Promise<void>;
  release(): Promise<void>;
}

function leaseWrite(properties: EntityProperties, existing: StoredEntity | undefined): TableWrite {
  const key = { table: 'state', partitionKey: LEASE_PARTITION, rowKey: LEASE_ROW } as const;
  return existing === undefined
    ? { ...key, action: 'create', properties }
    : { ...key, action: 'merge', properties, etag: existing.etag };
}

/**
 * A lease so that a timer run and a CLI run never reconcile at once. Taken with a
 * conditional write; a lease whose holder died expires on its own, and a run renews it before
 * writing, so a run that outlived its lease and lost it to another run stops instead of writing.
 */
export async function acquireLease(
  tables: TableStore,
  holder: string,
  now: Date,
  durationMs: number,
): Promise<Lease> {
  const expiry = (from: Date) => new Date(from.getTime() + durationMs).toISOString();
  const existing = await tables.readEntity('state', LEASE_PARTITION, LEASE_ROW);
  if (existing !== undefined) {
    const heldUntil = typeof existing.expiresAt === 'string' ? existing.expiresAt : '';
    if (heldUntil > now.toISOString()) {
      throw new SyncServiceError(
        'sync_refused',
        `another reconciliation (${String(existing.holder)}) is running until ${heldUntil} at the latest`,
      );
    }
  }
  const taken = await tables.applyWrites([
    leaseWrite({ holder, expiresAt: expiry(now) }, existing),
  ]);
  if (taken.results[0]?.outcome !== 'applied') {
    throw new SyncServiceError(
      'sync_refused',
      'another reconciliation took the lease at the same moment',
    );
  }

  const ours = async (): Promise<StoredEntity | undefined> => {
    const current = await tables.readEntity('state', LEASE_PARTITION, LEASE_ROW);
    return current?.holder === holder ? current : undefined;
  };
  return {
    async renew(at) {
      const current = await ours();
      const renewed =
        current !== undefined &&
        (await tables.applyWrites([leaseWrite({ expiresAt: expiry(at) }, current)])).results[0]
          ?.outcome === 'applied';
      if (!renewed) {
        throw new SyncServiceError(
          'sync_refused',
          'this reconciliation outlived its lease and another run took it over; nothing was written',
        );
      }
    },
    async release() {
      const current = await ours();
      if (current === undefined) return;
      await tables.applyWrites([leaseWrite({ expiresAt: new Date(0).toISOString() }, current)]);
    },
  };
}
