/**
 * The audit log (`SyncAudit`): a run's changes as change sets, one entity per team per run (and
 * one for the changes to users), each listing its changes with their plan index, outcome and
 * reason. Entries of the first format (one entity per change) are still read.
 */
import { odata } from '@azure/data-tables';
import { teamOf, userOf, type Operation } from '../sync/operations.js';
import type { StoredEntity } from './entities.js';
import type { Tables, TableWrite } from './tables.js';

export interface AuditEntry {
  readonly operation: Operation;
  readonly outcome: string;
}

/** One change as read back: `rowKey` is its 7-digit plan index, whatever the stored format. */
export interface AuditRecord {
  readonly rowKey: string;
  readonly kind: string;
  readonly teamId?: string;
  readonly userId?: string;
  readonly reason: string;
  readonly outcome: string;
}

/**
 * Limits that keep every entity under 1 MiB (strings count two bytes a character) and every
 * property under 64 KiB, and every partition's writes one transaction under 4 MiB.
 */
const MAX_CHUNK_CHARS = 200_000;
const MAX_PIECE_CHARS = 30_000;
const MAX_PARTITION_CHARS = 2_000_000;
const MAX_ENTITIES_PER_PARTITION = 100;
const PIECE_PREFIX = 'changes';

/** `[planIndex, kind, outcome, reason, userId?]`, the strings as indexes into the set's lists. */
type Row = [number, number, number, number] | [number, number, number, number, string];

interface ChangeSet {
  readonly teamId: string | undefined;
  readonly rows: Row[];
  readonly kinds: string[];
  readonly outcomes: string[];
  readonly reasons: string[];
  chars: number;
  added: number;
  removed: number;
}

function indexIn(list: string[], value: string): number {
  const found = list.indexOf(value);
  if (found >= 0) return found;
  list.push(value);
  return list.length - 1;
}

function newSet(teamId: string | undefined): ChangeSet {
  return { teamId, rows: [], kinds: [], outcomes: [], reasons: [], chars: 0, added: 0, removed: 0 };
}

function planIndex(index: number): string {
  return String(index).padStart(7, '0');
}

/** The change sets of a run, in order of their first change, none larger than a chunk. */
function changeSets(entries: readonly AuditEntry[]): ChangeSet[] {
  const open = new Map<string, ChangeSet>();
  const sets: ChangeSet[] = [];
  entries.forEach(({ operation, outcome }, index) => {
    const teamId = teamOf(operation);
    const key = teamId ?? '';
    let set = open.get(key);
    if (set === undefined || set.chars >= MAX_CHUNK_CHARS) {
      set = newSet(teamId);
      open.set(key, set);
      sets.push(set);
    }
    const head: [number, number, number, number] = [
      index,
      indexIn(set.kinds, operation.kind),
      indexIn(set.outcomes, outcome),
      indexIn(set.reasons, operation.reason),
    ];
    const userId = userOf(operation);
    const row: Row = userId === undefined ? head : [...head, userId];
    set.rows.push(row);
    set.chars += JSON.stringify(row).length + 1;
    if (outcome === 'applied' && operation.kind === 'membership-added') set.added += 1;
    if (outcome === 'applied' && operation.kind === 'membership-removed') set.removed += 1;
  });
  return sets;
}

function pieces(text: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (let start = 0, piece = 0; start < text.length; start += MAX_PIECE_CHARS, piece += 1) {
    properties[`${PIECE_PREFIX}${piece}`] = text.slice(start, start + MAX_PIECE_CHARS);
  }
  return properties;
}

/**
 * The entities of a run's change sets. Row key: the plan index of the set's first change;
 * partition key `<runId>~NNNN`, partitions filled up to one transaction each. A fanned-out
 * pass writes each share's sets apart, under `<runId>~<part>-NNNN` (`part`: digits and dashes,
 * which sort below ':' and so stay inside the run's range).
 */
export function auditWrites(
  runId: string,
  entries: readonly AuditEntry[],
  part?: string,
): TableWrite[] {
  const writes: TableWrite[] = [];
  let partition = 0;
  let inPartition = 0;
  let partitionChars = 0;
  for (const set of changeSets(entries)) {
    const text = JSON.stringify({
      kinds: set.kinds,
      outcomes: set.outcomes,
      reasons: set.reasons,
      rows: set.rows,
    });
    if (
      inPartition > 0 &&
      (inPartition >= MAX_ENTITIES_PER_PARTITION ||
        partitionChars + text.length > MAX_PARTITION_CHARS)
    ) {
      partition += 1;
      inPartition = 0;
      partitionChars = 0;
    }
    inPartition += 1;
    partitionChars += text.length;
    const textPieces = pieces(text);
    writes.push({
      table: 'audit',
      action: 'upsert',
      partitionKey: `${runId}~${part === undefined ? '' : `${part}-`}${String(partition).padStart(4, '0')}`,
      rowKey: planIndex(set.rows[0]?.[0] ?? 0),
      properties: {
        ...(set.teamId === undefined ? {} : { teamId: set.teamId }),
        changes: set.rows.length,
        added: set.added,
        removed: set.removed,
        pieces: Object.keys(textPieces).length,
        ...textPieces,
      },
    });
  }
  return writes;
}

function text(entity: StoredEntity, name: string): string | undefined {
  const value = entity[name];
  return typeof value === 'string' ? value : undefined;
}

/** An entity of the first format: one change. */
function singleChange(entity: StoredEntity): AuditRecord {
  const teamId = text(entity, 'teamId');
  const userId = text(entity, 'userId');
  return {
    rowKey: entity.rowKey,
    kind: text(entity, 'kind') ?? '',
    ...(teamId === undefined ? {} : { teamId }),
    ...(userId === undefined ? {} : { userId }),
    reason: text(entity, 'reason') ?? '',
    outcome: text(entity, 'outcome') ?? '',
  };
}

interface StoredSet {
  readonly kinds: string[];
  readonly outcomes: string[];
  readonly reasons: string[];
  readonly rows: Row[];
}

function changesOf(entity: StoredEntity, count: number): AuditRecord[] {
  let joined = '';
  for (let piece = 0; piece < count; piece += 1) {
    joined += text(entity, `${PIECE_PREFIX}${piece}`) ?? '';
  }
  const set = JSON.parse(joined) as StoredSet;
  const teamId = text(entity, 'teamId');
  return set.rows.map(([index, kind, outcome, reason, userId]) => ({
    rowKey: planIndex(index),
    kind: set.kinds[kind] ?? '',
    ...(teamId === undefined ? {} : { teamId }),
    ...(userId === undefined ? {} : { userId }),
    reason: set.reasons[reason] ?? '',
    outcome: set.outcomes[outcome] ?? '',
  }));
}

export function auditRecords(entity: StoredEntity): AuditRecord[] {
  const count = entity.pieces;
  return typeof count === 'number' ? changesOf(entity, count) : [singleChange(entity)];
}

export async function writeAudit(
  tables: Tables,
  runId: string,
  entries: readonly AuditEntry[],
  part?: string,
): Promise<void> {
  await tables.applyWrites(auditWrites(runId, entries, part));
}

/** Every change of a run, in plan order (held changes last), whichever format stored it. */
export async function runAudit(tables: Tables, runId: string): Promise<AuditRecord[]> {
  // Every `<runId>~NNNN` partition: ':' sorts right after the digits.
  const filter = odata`PartitionKey ge ${`${runId}~`} and PartitionKey lt ${`${runId}~:`}`;
  const records: AuditRecord[] = [];
  for await (const entity of tables.listEntities('audit', filter)) {
    records.push(...auditRecords(entity));
  }
  return records.sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
}
