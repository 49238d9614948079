/**
 * The floors: the same work done bare, with the SDK, `fetch` and jose alone and none of the
 * service's code, so each measured figure sits beside what the emulators and the libraries
 * cost for it on this machine, in the same run.
 */
import { performance } from 'node:perf_hooks';
import { odata, TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { TableWrite } from '../shared/store/tables.js';

type Entity = TableEntity;
/** Entities by table, then by partition, in the order they were read. */
export type Partitions = Map<'Teams' | 'Users', Map<string, Entity[]>>;

export interface Timing {
  readonly ms: number;
  readonly entities: number;
  readonly requests: number;
}

const CONTRACT_TABLES = ['Teams', 'Users'] as const;
const METADATA = new Set(['etag', 'timestamp', 'odata.metadata']);

function client(connectionString: string, name: string): TableClient {
  return TableClient.fromConnectionString(connectionString, name, {
    allowInsecureConnection: true,
  });
}

function bare(entity: Record<string, unknown>): Entity {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entity)) if (!METADATA.has(name)) copy[name] = value;
  return copy as Entity;
}

/** Both contract tables read page by page, at once; `keep` also returns the entities. */
export async function bareRead(
  connectionString: string,
  prefix: string,
  keep: boolean,
): Promise<Timing & { readonly partitions: Partitions }> {
  const partitions: Partitions = new Map();
  let entities = 0;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    CONTRACT_TABLES.map(async (table) => {
      const byPartition = new Map<string, Entity[]>();
      partitions.set(table, byPartition);
      const pages = client(connectionString, `${prefix}${table}`)
        .listEntities()
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        requests += 1;
        entities += page.length;
        if (!keep) continue;
        for (const entity of page) {
          const key = entity.partitionKey ?? '';
          const rows = byPartition.get(key) ?? [];
          rows.push(bare(entity));
          byPartition.set(key, rows);
        }
      }
    }),
  );
  return { ms: performance.now() - started, entities, requests, partitions };
}

async function pooled<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Transactions of up to 100 entities of one partition, `concurrency` at once. */
async function submitAll(
  clients: Map<string, TableClient>,
  transactions: readonly { readonly table: string; readonly actions: TransactionAction[] }[],
  concurrency: number,
): Promise<Timing> {
  let entities = 0;
  const started = performance.now();
  await pooled(transactions, concurrency, async ({ table, actions }) => {
    await clients.get(table)?.submitTransaction(actions);
    entities += actions.length;
  });
  return { ms: performance.now() - started, entities, requests: transactions.length };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    result.push(items.slice(start, start + size));
  return result;
}

async function freshTables(connectionString: string, prefix: string) {
  const clients = new Map<string, TableClient>();
  for (const table of CONTRACT_TABLES) {
    const tableClient = client(connectionString, `${prefix}${table}`);
    await tableClient.createTable();
    clients.set(table, tableClient);
  }
  return clients;
}

function insertTransactions(partitions: Partitions, every = 1) {
  const transactions: { table: string; actions: TransactionAction[] }[] = [];
  for (const [table, byPartition] of partitions) {
    let index = 0;
    for (const rows of byPartition.values()) {
      if (index++ % every !== 0) continue;
      for (const part of chunks(rows, 100)) {
        transactions.push({
          table,
          actions: part.map((entity): TransactionAction => ['create', entity]),
        });
      }
    }
  }
  return transactions;
}

/**
 * The same entities, in the same partitions, inserted into fresh tables at the concurrency that
 * was fastest on a sample (every 20th partition, into tables of their own).
 */
export async function bareWrites(
  connectionString: string,
  prefix: string,
  partitions: Partitions,
): Promise<Timing & { readonly concurrency: number; readonly tried: Record<string, number> }> {
  const tried: Record<string, number> = {};
  let best = { concurrency: 8, rate: 0 };
  for (const concurrency of [4, 8, 16, 32]) {
    const clients = await freshTables(connectionString, `${prefix}c${concurrency}`);
    const sample = await submitAll(clients, insertTransactions(partitions, 20), concurrency);
    const rate = sample.entities / (sample.ms / 1000);
    tried[String(concurrency)] = Math.round(rate);
    if (rate > best.rate) best = { concurrency, rate };
  }
  const clients = await freshTables(connectionString, prefix);
  const timing = await submitAll(clients, insertTransactions(partitions), best.concurrency);
  return { ...timing, concurrency: best.concurrency, tried };
}

/**
 * The service's writes of a phase, replayed unconditionally into the floor's copy of the tables.
 * `seed`: there is no copy (`--delta-only`), so fresh tables get, untimed, the rows the writes
 * delete; the timed replay then sends the same transactions.
 */
export async function bareReplay(
  connectionString: string,
  prefix: string,
  writes: readonly TableWrite[],
  concurrency: number,
  options: { readonly seed: boolean } = { seed: false },
): Promise<Timing> {
  const clients = options.seed
    ? await freshTables(connectionString, `${prefix}Seeded`)
    : new Map(
        CONTRACT_TABLES.map(
          (table) => [table, client(connectionString, `${prefix}${table}`)] as const,
        ),
      );
  if (options.seed) {
    const seeds = new Map<string, { table: string; actions: TransactionAction[] }>();
    for (const write of writes) {
      if (write.action !== 'delete') continue;
      const table = write.table === 'teams' ? 'Teams' : 'Users';
      const key = `${table}\u0000${write.partitionKey}`;
      const group = seeds.get(key) ?? { table, actions: [] };
      group.actions.push(['upsert', { partitionKey: write.partitionKey, rowKey: write.rowKey }]);
      seeds.set(key, group);
    }
    await submitAll(
      clients,
      [...seeds.values()].flatMap(({ table, actions }) =>
        chunks(actions, 100).map((part) => ({ table, actions: part })),
      ),
      concurrency,
    );
  }
  const grouped = new Map<string, { table: string; actions: TransactionAction[] }>();
  for (const write of writes) {
    const table = write.table === 'teams' ? 'Teams' : 'Users';
    const key = `${table}\u0000${write.partitionKey}`;
    const group = grouped.get(key) ?? { table, actions: [] };
    const entity = { partitionKey: write.partitionKey, rowKey: write.rowKey };
    group.actions.push(
      write.action === 'delete'
        ? ['delete', entity]
        : ['upsert', { ...entity, ...write.properties }, 'Merge'],
    );
    grouped.set(key, group);
  }
  const transactions = [...grouped.values()].flatMap(({ table, actions }) =>
    chunks(actions, 100).map((part) => ({ table, actions: part })),
  );
  return submitAll(clients, transactions, concurrency);
}

/**
 * The named partitions (`teams/<key>`, `users/<key>`), each read whole with a partition query,
 * `concurrency` at once: what re-reading only the groups a change touched costs.
 */
export async function barePartitions(
  connectionString: string,
  prefix: string,
  partitions: readonly string[],
  concurrency: number,
): Promise<Timing> {
  const clients = new Map(
    CONTRACT_TABLES.map((table) => [table, client(connectionString, `${prefix}${table}`)] as const),
  );
  let entities = 0;
  let requests = 0;
  const started = performance.now();
  await pooled(partitions, concurrency, async (ref) => {
    const slash = ref.indexOf('/');
    const tableClient = clients.get(ref.slice(0, slash) === 'teams' ? 'Teams' : 'Users');
    const key = ref.slice(slash + 1);
    const pages = tableClient
      ?.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${key}` } })
      .byPage({ maxPageSize: 1000 });
    if (pages === undefined) return;
    for await (const page of pages) {
      requests += 1;
      entities += page.length;
    }
  });
  return { ms: performance.now() - started, entities, requests };
}

// ------------------------------------------------------------------------------------- Graph

export interface GraphEnv {
  readonly authorityHost: string;
  readonly graphEndpoint: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly servicePrincipalId: string;
}

export function graphEnv(env: Record<string, string>): GraphEnv {
  return {
    authorityHost: env.ENTRA_AUTHORITY_HOST ?? '',
    graphEndpoint: env.GRAPH_ENDPOINT ?? '',
    tenantId: env.ENTRA_TENANT_ID ?? '',
    clientId: env.ENTRA_CLIENT_ID ?? '',
    clientSecret: env.ENTRA_CLIENT_SECRET ?? '',
    servicePrincipalId: env.ENTRA_SERVICE_PRINCIPAL_ID ?? '',
  };
}

export async function appToken(graph: GraphEnv): Promise<string> {
  const response = await fetch(`${graph.authorityHost}/${graph.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: graph.clientId,
      client_secret: graph.clientSecret,
      scope: `${graph.graphEndpoint}/.default`,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (body.access_token === undefined) throw new Error(`no app token (${response.status})`);
  return body.access_token;
}

interface GraphPage {
  readonly value?: { readonly principalId?: string; readonly principalType?: string }[];
  readonly '@odata.nextLink'?: string;
}

/** One request; a 429 waits its Retry-After (Graph's budget is not the service's to beat). */
async function send(url: string, token: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const response = await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
    });
    if (response.status !== 429) return response;
    await response.body?.cancel();
    const seconds = Number(response.headers.get('retry-after') ?? '1');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0.1, seconds) * 1000));
  }
}

const USER_FIELDS = 'id,displayName,userPrincipalName,mail,accountEnabled';

/**
 * The full pass's Graph pages, bare: the assignment pages, then each group's first member page
 * in `$batch` requests of 20, four in flight, then every next page alone.
 */
export async function bareGraphPass(graph: GraphEnv, transitive: boolean): Promise<Timing> {
  const token = await appToken(graph);
  const v1 = `${graph.graphEndpoint}/v1.0`;
  let requests = 0;
  const started = performance.now();
  const groups: string[] = [];
  let next: string | undefined =
    `${v1}/servicePrincipals/${graph.servicePrincipalId}/appRoleAssignedTo?$select=principalId,principalType,principalDisplayName&$top=999`;
  while (next !== undefined) {
    requests += 1;
    const page = (await (await send(next, token)).json()) as GraphPage;
    for (const item of page.value ?? []) {
      if (item.principalType === 'Group' && item.principalId !== undefined)
        groups.push(item.principalId);
    }
    next = page['@odata.nextLink'];
  }
  const relation = transitive ? 'transitiveMembers' : 'members';
  const nextLinks: string[] = [];
  let members = 0;
  await pooled(chunks(groups, 20), 4, async (batch) => {
    requests += 1;
    const response = await send(`${v1}/$batch`, token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: batch.map((id, index) => ({
          id: String(index),
          method: 'GET',
          url: `/groups/${id}/${relation}/microsoft.graph.user?$select=${USER_FIELDS}&$top=999`,
        })),
      }),
    });
    const body = (await response.json()) as { responses?: { body?: GraphPage }[] };
    for (const sub of body.responses ?? []) {
      members += sub.body?.value?.length ?? 0;
      const link = sub.body?.['@odata.nextLink'];
      if (link !== undefined) nextLinks.push(link);
    }
  });
  await pooled(nextLinks, 4, async (first) => {
    let link: string | undefined = first;
    while (link !== undefined) {
      requests += 1;
      const page = (await (await send(link, token)).json()) as GraphPage;
      members += page.value?.length ?? 0;
      link = page['@odata.nextLink'];
    }
  });
  return { ms: performance.now() - started, entities: members, requests };
}

interface DeltaPage {
  readonly value?: readonly unknown[];
  readonly '@odata.nextLink'?: string;
  readonly '@odata.deltaLink'?: string;
}

/**
 * The same `groups/delta` links, bare: each followed page by page to its next deltaLink,
 * `concurrency` cursors at once. A deltaLink can be read again (Graph answers the changes since
 * it was issued), so the floor reads exactly what the round read.
 */
export async function bareDeltaLinks(
  graph: GraphEnv,
  links: readonly string[],
  concurrency: number,
): Promise<Timing> {
  const token = await appToken(graph);
  let requests = 0;
  let groups = 0;
  const started = performance.now();
  await pooled(links, concurrency, async (first) => {
    let link: string | undefined = first;
    while (link !== undefined) {
      requests += 1;
      const page = (await (await send(link, token)).json()) as DeltaPage;
      groups += page.value?.length ?? 0;
      link = page['@odata.nextLink'];
    }
  });
  return { ms: performance.now() - started, entities: groups, requests };
}

// ------------------------------------------------------------------------------------ sign-in

export interface SignInInput {
  readonly userId: string;
  readonly token: string;
}

/**
 * A sign-in's work, bare, per user: the token's signature and claims checked with jose against
 * the tenant's keys, one `$batch` (profile and groups), then the user's partition, the hold row
 * and the team row and member row of each of the user's teams.
 */
export async function bareSignIns(
  connectionString: string,
  prefix: string,
  graph: GraphEnv,
  inputs: readonly SignInInput[],
  concurrency: number,
): Promise<{ readonly latenciesMs: number[]; readonly ms: number; readonly tableReads: number }> {
  const keys = createRemoteJWKSet(
    new URL(`${graph.authorityHost}/${graph.tenantId}/discovery/v2.0/keys`),
  );
  const appAccess = await appToken(graph);
  const users = client(connectionString, `${prefix}Users`);
  const teams = client(connectionString, `${prefix}Teams`);
  const state = client(connectionString, `${prefix}SyncState`);
  const point = (tableClient: TableClient, pk: string, rk: string) =>
    tableClient.getEntity(pk, rk).then(
      () => undefined,
      () => undefined,
    );
  const latenciesMs: number[] = [];
  let tableReads = 0;
  const started = performance.now();
  await pooled(inputs, concurrency, async ({ userId, token }) => {
    const begun = performance.now();
    await jwtVerify(token, keys, { algorithms: ['RS256'], audience: graph.clientId });
    const batch = await send(`${graph.graphEndpoint}/v1.0/$batch`, appAccess, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { id: '0', method: 'GET', url: `/users/${userId}?$select=${USER_FIELDS}` },
          {
            id: '1',
            method: 'POST',
            url: `/users/${userId}/getMemberGroups`,
            headers: { 'content-type': 'application/json' },
            body: { securityEnabledOnly: false },
          },
        ],
      }),
    });
    await batch.json();
    const [partition] = await Promise.all([
      (async () => {
        const rows: { readonly rowKey?: string }[] = [];
        const pages = users
          .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${userId}` } })
          .byPage({ maxPageSize: 1000 });
        for await (const page of pages) rows.push(...page);
        return rows;
      })(),
      point(state, 'reconcile', 'hold'),
    ]);
    const teamIds = partition.flatMap((row) =>
      typeof row.rowKey === 'string' && row.rowKey.startsWith('team:') ? [row.rowKey.slice(5)] : [],
    );
    await Promise.all(
      teamIds.flatMap((teamId) => [
        point(teams, teamId, 'team'),
        point(teams, teamId, `member:${userId}`),
      ]),
    );
    tableReads += 2 + 2 * teamIds.length;
    latenciesMs.push(performance.now() - begun);
  });
  return { latenciesMs, ms: performance.now() - started, tableReads };
}
