import {
  odata,
  type TableClient,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import type { SyncServiceError } from '../errors.js';
import { tableName, type TableClientFactory, type TableRole } from './connection.js';
import type { EntityProperties, StoredEntity } from './entities.js';
import { assertValidKey } from './keys.js';
import { toStoreError } from './table-errors.js';

interface TableWriteTarget {
  readonly table: TableRole;
  readonly partitionKey: string;
  readonly rowKey: string;
}

/**
 * One entity write. `create` fails if the entity exists (so defaults are applied once);
 * `merge` and `delete` are conditional on the ETag that was read (`*` only where the
 * caller means "whatever is there"); `upsert` merges, creating if needed.
 */
export type TableWrite =
  | (TableWriteTarget & { readonly action: 'create'; readonly properties: EntityProperties })
  | (TableWriteTarget & {
      readonly action: 'merge';
      readonly properties: EntityProperties;
      readonly etag: string;
    })
  | (TableWriteTarget & { readonly action: 'upsert'; readonly properties: EntityProperties })
  | (TableWriteTarget & { readonly action: 'delete'; readonly etag: string });

/** `exists`: a create found the entity; `conflict`: stale ETag; `missing`: already gone. */
export type WriteOutcome = 'applied' | 'exists' | 'conflict' | 'missing' | 'failed';

export interface WriteResult {
  readonly write: TableWrite;
  readonly outcome: WriteOutcome;
  /** The entity's new ETag, when the service returned one. */
  readonly etag?: string | undefined;
  readonly error?: SyncServiceError | undefined;
}

export interface ApplyReport {
  /** One per write, in the order the writes were given. */
  readonly results: readonly WriteResult[];
  /** Entities actually written. */
  readonly applied: number;
  /** Requests sent to Table Storage (a transaction counts once). */
  readonly requests: number;
}

export interface EntityPage {
  readonly entities: readonly StoredEntity[];
  readonly continuationToken: string | undefined;
}

/** A write with its place in the caller's list, so results come back in that order. */
interface Indexed {
  readonly index: number;
  readonly write: TableWrite;
}

/** Table Storage takes at most 100 operations of one partition in a transaction. */
export const MAX_TRANSACTION_SIZE = 100;

const ENTITY_METADATA = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata']);

function toStoredEntity(entity: TableEntityResult<Record<string, unknown>>): StoredEntity {
  const properties: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (!ENTITY_METADATA.has(name)) properties[name] = value;
  }
  return {
    ...properties,
    partitionKey: entity.partitionKey ?? '',
    rowKey: entity.rowKey ?? '',
    etag: entity.etag,
  };
}

function describeTarget(write: TableWriteTarget): string {
  return `${write.table} ${write.partitionKey}/${write.rowKey}`;
}

function outcomeOf(write: TableWrite, error: SyncServiceError): WriteOutcome {
  switch (error.code) {
    case 'store_exists':
      return 'exists';
    case 'store_conflict':
      return 'conflict';
    case 'store_not_found':
      return write.action === 'delete' || write.action === 'merge' ? 'missing' : 'failed';
    default:
      return 'failed';
  }
}

function transactionAction(write: Exclude<TableWrite, { action: 'delete' }>): TransactionAction {
  const entity = {
    partitionKey: write.partitionKey,
    rowKey: write.rowKey,
    ...write.properties,
  };
  switch (write.action) {
    case 'create':
      return ['create', entity];
    case 'merge':
      return ['update', entity, 'Merge', { etag: write.etag }];
    case 'upsert':
      return ['upsert', entity, 'Merge'];
  }
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Table Storage access by table role, beneath the repository: tables are created on first use,
 * reads page through continuation tokens, and writes are grouped into per-partition
 * transactions. Only the repository (and tests and benchmarks that look under it) use this.
 */
export class Tables {
  readonly #clientFor: TableClientFactory;
  readonly #prefix: string;
  readonly #ready = new Map<TableRole, Promise<TableClient>>();

  constructor(clientFor: TableClientFactory, prefix = '') {
    this.#clientFor = clientFor;
    this.#prefix = prefix;
  }

  tableName(role: TableRole): string {
    return tableName(role, this.#prefix);
  }

  /** The client for a table that exists (created on first use, once per process). */
  async table(role: TableRole): Promise<TableClient> {
    let ready = this.#ready.get(role);
    if (ready === undefined) {
      const client = this.#clientFor(this.tableName(role));
      ready = client.createTable().then(
        () => client,
        (error: unknown) => {
          this.#ready.delete(role);
          throw toStoreError(error, `creating table ${this.tableName(role)}`);
        },
      );
      this.#ready.set(role, ready);
    }
    return ready;
  }

  async readEntity(role: TableRole, partitionKey: string, rowKey: string) {
    const client = await this.table(role);
    try {
      const entity = await client.getEntity(
        assertValidKey(partitionKey, 'partition key'),
        assertValidKey(rowKey, 'row key'),
      );
      return toStoredEntity(entity);
    } catch (error) {
      const storeError = toStoreError(error, `reading ${role} ${partitionKey}/${rowKey}`);
      if (storeError.code === 'store_not_found') return undefined;
      throw storeError;
    }
  }

  async readPartition(role: TableRole, partitionKey: string): Promise<StoredEntity[]> {
    const key = assertValidKey(partitionKey, 'partition key');
    const entities: StoredEntity[] = [];
    for await (const entity of this.listEntities(role, odata`PartitionKey eq ${key}`)) {
      entities.push(entity);
    }
    return entities;
  }

  /**
   * Every entity of a table (or those matching an OData filter), all pages. The next page is
   * asked for while the caller works through this one: two pages in memory at most.
   */
  async *listEntities(role: TableRole, filter?: string): AsyncGenerator<StoredEntity> {
    let page = await this.listPage(role, { filter });
    for (;;) {
      const { continuationToken } = page;
      const next =
        continuationToken === undefined
          ? undefined
          : this.listPage(role, { filter, continuationToken });
      // A caller that stops early never awaits it: its failure is not an unhandled rejection.
      next?.catch(() => undefined);
      yield* page.entities;
      if (next === undefined) return;
      page = await next;
    }
  }

  async listPage(
    role: TableRole,
    options: {
      filter?: string | undefined;
      pageSize?: number;
      continuationToken?: string | undefined;
    },
  ): Promise<EntityPage> {
    const client = await this.table(role);
    try {
      const pages = client
        .listEntities({
          queryOptions: options.filter === undefined ? {} : { filter: options.filter },
        })
        .byPage({
          maxPageSize: options.pageSize ?? 1000,
          ...(options.continuationToken === undefined
            ? {}
            : { continuationToken: options.continuationToken }),
        });
      const next: IteratorResult<
        TableEntityResult<Record<string, unknown>>[] & { continuationToken?: string }
      > = await pages.next();
      if (next.done === true) return { entities: [], continuationToken: undefined };
      const page = next.value;
      return { entities: page.map(toStoredEntity), continuationToken: page.continuationToken };
    } catch (error) {
      throw toStoreError(error, `listing ${this.tableName(role)}`);
    }
  }

  /**
   * Applies writes in order within each partition and concurrently across partitions.
   * Consecutive non-delete writes of a partition go in transactions of at most 100; a
   * transaction that fails is retried write by write so each write gets its own outcome.
   * Deletes go one by one because the SDK's transactional delete cannot carry an ETag.
   */
  async applyWrites(
    writes: readonly TableWrite[],
    options: { concurrency?: number } = {},
  ): Promise<ApplyReport> {
    for (const write of writes) {
      assertValidKey(write.partitionKey, `partition key of ${write.table}`);
      assertValidKey(write.rowKey, `row key of ${write.table}`);
    }
    const partitions = new Map<string, Indexed[]>();
    writes.forEach((write, index) => {
      const key = `${write.table}\u0000${write.partitionKey}`;
      const group = partitions.get(key);
      if (group === undefined) partitions.set(key, [{ index, write }]);
      else group.push({ index, write });
    });
    const results = new Array<WriteResult>(writes.length);
    let requests = 0;
    await runPool([...partitions.values()], options.concurrency ?? 16, async (group) => {
      for (const segment of segmentsOf(group)) {
        requests += 1;
        const [only] = segment;
        if (segment.length === 1 && only?.write.action === 'delete') {
          results[only.index] = await this.#applyOne(only.write);
          continue;
        }
        const transactional = segment.map(({ write }) => write) as Exclude<
          TableWrite,
          { action: 'delete' }
        >[];
        const submitted = await this.#submitTransaction(transactional);
        if (!(submitted instanceof Error)) {
          segment.forEach(({ index, write }, position) => {
            results[index] = { write, outcome: 'applied', etag: submitted[position] };
          });
          continue;
        }
        for (const { index, write } of segment) {
          requests += 1;
          results[index] = await this.#applyOne(write);
        }
      }
    });
    return {
      results,
      applied: results.filter((result) => result.outcome === 'applied').length,
      requests,
    };
  }

  /** The new ETags, in the order of the writes; the error if the transaction failed. */
  async #submitTransaction(
    writes: readonly Exclude<TableWrite, { action: 'delete' }>[],
  ): Promise<(string | undefined)[] | SyncServiceError> {
    const first = writes[0];
    if (first === undefined) return [];
    const client = await this.table(first.table);
    try {
      if (writes.length === 1) return [await this.#single(client, first)];
      const response = await client.submitTransaction(writes.map(transactionAction));
      // Sub-responses come in the order of the operations (their row keys arrive URL-encoded).
      return writes.map((_write, position) => response.subResponses[position]?.etag);
    } catch (error) {
      return toStoreError(error, `transaction on ${describeTarget(first)}`);
    }
  }

  async #applyOne(write: TableWrite): Promise<WriteResult> {
    const client = await this.table(write.table);
    try {
      return { write, outcome: 'applied', etag: await this.#single(client, write) };
    } catch (error) {
      const storeError = toStoreError(error, `${write.action} ${describeTarget(write)}`);
      return { write, outcome: outcomeOf(write, storeError), error: storeError };
    }
  }

  /** Sends one write; answers the entity's new ETag (none for a delete). */
  async #single(client: TableClient, write: TableWrite): Promise<string | undefined> {
    const key = { partitionKey: write.partitionKey, rowKey: write.rowKey };
    switch (write.action) {
      case 'create':
        return (await client.createEntity({ ...key, ...write.properties })).etag;
      case 'merge':
        return (
          await client.updateEntity({ ...key, ...write.properties }, 'Merge', { etag: write.etag })
        ).etag;
      case 'upsert':
        return (await client.upsertEntity({ ...key, ...write.properties }, 'Merge')).etag;
      case 'delete':
        await client.deleteEntity(key.partitionKey, key.rowKey, { etag: write.etag });
        return undefined;
    }
  }
}

/** Splits a partition's writes into transactions: no deletes, no row twice, at most 100. */
function segmentsOf(writes: readonly Indexed[]): Indexed[][] {
  const segments: Indexed[][] = [];
  let current: Indexed[] = [];
  let rows = new Set<string>();
  const close = () => {
    if (current.length > 0) segments.push(current);
    current = [];
    rows = new Set();
  };
  for (const entry of writes) {
    if (entry.write.action === 'delete') {
      close();
      segments.push([entry]);
      continue;
    }
    if (current.length >= MAX_TRANSACTION_SIZE || rows.has(entry.write.rowKey)) close();
    current.push(entry);
    rows.add(entry.write.rowKey);
  }
  close();
  return segments;
}
