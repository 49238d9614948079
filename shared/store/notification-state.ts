/**
 * The change-notification bookkeeping in `SyncState` (docs/schema.md): the Graph subscription
 * the service keeps, the clientState it generated when none is configured, the webhook's and
 * the worker's counters, and per group the start of its last notification sync (so repeated
 * messages for a group coalesce).
 */
import type { EntityProperties } from './entities.js';
import type { Tables, TableWrite } from './tables.js';
import { filledTextOf, numberOf } from './entity-values.js';

const PARTITION = 'notifications';
const SUBSCRIPTION_ROW = 'subscription';
const CLIENT_STATE_ROW = 'client-state';
const COUNTS_ROW = 'counts';
/**
 * Counters are spread over this many rows (`counts:0` … `counts:7`), one picked at random per
 * update, and summed on read: every webhook call updates them before it answers, and with one
 * row, concurrent calls met each other's ETags and retried past Graph's 3 s under load.
 */
export const COUNTER_SHARDS = 8;
const counterShard = (shard: number) => `${COUNTS_ROW}:${shard}`;
const GROUP_SYNC_PARTITION = 'group-sync';
/** Counter merges race; a few attempts on different shards settle them, then the count is let go. */
const COUNT_ATTEMPTS = 8;

export interface SubscriptionRecord {
  readonly subscriptionId: string;
  readonly resource: string;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly lastRenewedAt?: string | undefined;
  /** A digest of the notification URL and clientState it was created with (never the secret). */
  readonly fingerprint: string;
  readonly lastLifecycleEvent?: string | undefined;
  readonly lastLifecycleAt?: string | undefined;
  readonly lastError?: string | undefined;
  readonly lastErrorAt?: string | undefined;
}

export const COUNTER_NAMES = [
  'requests',
  'received',
  'forged',
  'malformed',
  'unknownGroups',
  'groupsEnqueued',
  'messagesEnqueued',
  'lifecycleEvents',
  'groupsSynced',
  'groupsCoalesced',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type NotificationCounts = Readonly<Record<CounterName, number>> & {
  readonly lastNotificationAt?: string | undefined;
  readonly lastGroupSyncAt?: string | undefined;
};

export interface NotificationState {
  readSubscription(): Promise<SubscriptionRecord | undefined>;
  /** Replaces what is kept of the subscription; `undefined` forgets it. */
  writeSubscription(record: SubscriptionRecord | undefined): Promise<void>;
  /** The kept clientState, or `generate()`'s, kept first (the first writer wins a race). */
  generatedClientState(generate: () => string): Promise<string>;
  /** Adds to the counters; `at` goes to `lastNotificationAt` or `lastGroupSyncAt`. */
  count(
    increments: Partial<Record<CounterName, number>>,
    at?: { readonly field: 'lastNotificationAt' | 'lastGroupSyncAt'; readonly time: Date },
  ): Promise<void>;
  readCounts(): Promise<NotificationCounts>;
  /** For each group, when its last notification sync started (absent: never). */
  groupSyncStarts(groupIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
  markGroupSyncStarted(groupIds: readonly string[], startedAt: Date): Promise<void>;
}

function definedText(record: object): EntityProperties {
  const properties: EntityProperties = {};
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === 'string') properties[name] = value;
  }
  return properties;
}

const stateKey = (partitionKey: string, rowKey: string) =>
  ({ table: 'state', partitionKey, rowKey }) as const;

/** The newer of two ISO timestamps (either may be absent). */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

export function notificationState(
  tables: Tables,
  random: () => number = Math.random,
): NotificationState {
  // Instances start at random shards, so two of them do not walk the shards in step.
  let nextShard = Math.floor(random() * COUNTER_SHARDS);
  return {
    async readSubscription() {
      const entity = await tables.readEntity('state', PARTITION, SUBSCRIPTION_ROW);
      const subscriptionId = entity && filledTextOf(entity, 'subscriptionId');
      if (entity === undefined || subscriptionId === undefined) return undefined;
      return {
        subscriptionId,
        resource: filledTextOf(entity, 'resource') ?? '',
        expiresAt: filledTextOf(entity, 'expiresAt') ?? new Date(0).toISOString(),
        createdAt: filledTextOf(entity, 'createdAt') ?? '',
        lastRenewedAt: filledTextOf(entity, 'lastRenewedAt'),
        fingerprint: filledTextOf(entity, 'fingerprint') ?? '',
        lastLifecycleEvent: filledTextOf(entity, 'lastLifecycleEvent'),
        lastLifecycleAt: filledTextOf(entity, 'lastLifecycleAt'),
        lastError: filledTextOf(entity, 'lastError'),
        lastErrorAt: filledTextOf(entity, 'lastErrorAt'),
      };
    },

    async writeSubscription(record) {
      // Merges cannot remove a property: every field is written, empty when unset.
      const blank = {
        subscriptionId: '',
        resource: '',
        expiresAt: '',
        createdAt: '',
        lastRenewedAt: '',
        fingerprint: '',
        lastLifecycleEvent: '',
        lastLifecycleAt: '',
        lastError: '',
        lastErrorAt: '',
      };
      const result = (
        await tables.applyWrites([
          {
            ...stateKey(PARTITION, SUBSCRIPTION_ROW),
            action: 'upsert',
            properties: { ...blank, ...definedText(record ?? {}) },
          },
        ])
      ).results[0];
      if (result?.outcome !== 'applied') throw result?.error ?? new Error('not written');
    },

    async generatedClientState(generate) {
      const kept = await tables.readEntity('state', PARTITION, CLIENT_STATE_ROW);
      const value = kept && filledTextOf(kept, 'value');
      if (value !== undefined) return value;
      const candidate = generate();
      const created = await tables.applyWrites([
        {
          ...stateKey(PARTITION, CLIENT_STATE_ROW),
          action: 'create',
          properties: { value: candidate },
        },
      ]);
      if (created.results[0]?.outcome === 'applied') return candidate;
      const winner = await tables.readEntity('state', PARTITION, CLIENT_STATE_ROW);
      const won = winner && filledTextOf(winner, 'value');
      if (won === undefined) throw created.results[0]?.error ?? new Error('no clientState kept');
      return won;
    },

    async count(increments, at) {
      for (let attempt = 1; attempt <= COUNT_ATTEMPTS; attempt += 1) {
        // Every attempt in this instance takes the next shard, so the updates of one burst of
        // webhook calls spread evenly, and a retry goes where nobody in this instance is.
        nextShard = (nextShard + 1) % COUNTER_SHARDS;
        const rowKey = counterShard(nextShard);
        const current = await tables.readEntity('state', PARTITION, rowKey);
        const properties: EntityProperties = {};
        for (const [name, increment] of Object.entries(increments)) {
          properties[name] = ((current && numberOf(current, name)) ?? 0) + increment;
        }
        if (at !== undefined) properties[at.field] = at.time.toISOString();
        const key = stateKey(PARTITION, rowKey);
        const write: TableWrite =
          current === undefined
            ? { ...key, action: 'create', properties }
            : { ...key, action: 'merge', properties, etag: current.etag };
        const result = (await tables.applyWrites([write])).results[0];
        if (result?.outcome === 'applied') return;
        if (result?.outcome === 'failed') throw result.error ?? new Error('counting failed');
      }
    },

    async readCounts() {
      // The single row of before the shards keeps its totals; the shards add to them.
      const rowKeys = [
        COUNTS_ROW,
        ...Array.from({ length: COUNTER_SHARDS }, (_, i) => counterShard(i)),
      ];
      const entities = await Promise.all(
        rowKeys.map((rowKey) => tables.readEntity('state', PARTITION, rowKey)),
      );
      const counts = Object.fromEntries(
        COUNTER_NAMES.map((name) => [
          name,
          entities.reduce((sum, entity) => sum + ((entity && numberOf(entity, name)) ?? 0), 0),
        ]),
      ) as Record<CounterName, number>;
      const latest = (field: string) =>
        entities.reduce<string | undefined>(
          (newest, entity) => later(newest, entity && filledTextOf(entity, field)),
          undefined,
        );
      return {
        ...counts,
        lastNotificationAt: latest('lastNotificationAt'),
        lastGroupSyncAt: latest('lastGroupSyncAt'),
      };
    },

    async groupSyncStarts(groupIds) {
      const starts = new Map<string, string>();
      await Promise.all(
        groupIds.map(async (groupId) => {
          const entity = await tables.readEntity('state', GROUP_SYNC_PARTITION, groupId);
          const startedAt = entity && filledTextOf(entity, 'startedAt');
          if (startedAt !== undefined) starts.set(groupId, startedAt);
        }),
      );
      return starts;
    },

    async markGroupSyncStarted(groupIds, startedAt) {
      const report = await tables.applyWrites(
        groupIds.map((groupId) => ({
          ...stateKey(GROUP_SYNC_PARTITION, groupId),
          action: 'upsert',
          properties: { startedAt: startedAt.toISOString() },
        })),
      );
      const failed = report.results.find((result) => result.outcome !== 'applied');
      if (failed?.error !== undefined) throw failed.error;
    },
  };
}
