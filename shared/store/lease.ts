/**
 * The leases (`SyncState`) that keep two full passes, or two delta rounds, from running at once. Taken with a
 * conditional write; a lease whose holder died expires on its own, and a run renews it before
 * writing, so a run that outlived its lease and lost it to another run stops instead of writing.
 */
import { SyncServiceError } from '../errors.js';
import type { EntityProperties, StoredEntity } from './entities.js';
import type { Tables, TableWrite } from './tables.js';

/** The full pass's lease partition; a delta round holds `delta`. */
const LEASE_PARTITION = 'reconcile';
const LEASE_ROW = 'lease';
export type LeaseName = 'reconcile' | 'delta';
const RENEW_ATTEMPTS = 5;

const describeLease = (name: LeaseName) => (name === 'delta' ? 'delta round' : 'reconciliation');

export interface Lease {
  /** Extends the lease from `now`; throws `sync_refused` if another run has taken it over. */
  renew(now: Date): Promise<void>;
  release(): Promise<void>;
}

function leaseWrite(
  name: LeaseName,
  properties: EntityProperties,
  existing: StoredEntity | undefined,
): TableWrite {
  const key = { table: 'state', partitionKey: name, rowKey: LEASE_ROW } as const;
  return existing === undefined
    ? { ...key, action: 'create', properties }
    : { ...key, action: 'merge', properties, etag: existing.etag };
}

/** Reads the lease row, if `holder` holds it. */
function ownLease(
  tables: Tables,
  name: LeaseName,
  holder: string,
): () => Promise<StoredEntity | undefined> {
  return async () => {
    const current = await tables.readEntity('state', name, LEASE_ROW);
    return current?.holder === holder ? current : undefined;
  };
}

/**
 * Whether a lease write took effect. A write whose answer was lost is sent again by the SDK,
 * which then meets its own first attempt (412, 409) or gives up: the row says what happened,
 * and the expiry written (to the millisecond, with the holder) is this write's alone.
 */
async function wrote(
  tables: Tables,
  write: TableWrite,
  ours: () => Promise<StoredEntity | undefined>,
  expiresAt: string,
): Promise<boolean> {
  const outcome = (await tables.applyWrites([write])).results[0]?.outcome;
  return outcome === 'applied' || (await ours())?.expiresAt === expiresAt;
}

export async function acquireLease(
  tables: Tables,
  holder: string,
  now: Date,
  durationMs: number,
  name: LeaseName = LEASE_PARTITION,
): Promise<Lease> {
  const what = describeLease(name);
  const expiry = (from: Date) => new Date(from.getTime() + durationMs).toISOString();
  const existing = await tables.readEntity('state', name, LEASE_ROW);
  if (existing !== undefined) {
    const heldUntil = typeof existing.expiresAt === 'string' ? existing.expiresAt : '';
    if (heldUntil > now.toISOString()) {
      throw new SyncServiceError(
        'sync_refused',
        `another ${what} (${String(existing.holder)}) is running until ${heldUntil} at the latest`,
      );
    }
  }
  const until = expiry(now);
  const write = leaseWrite(name, { holder, expiresAt: until }, existing);
  if (!(await wrote(tables, write, ownLease(tables, name, holder), until))) {
    throw new SyncServiceError('sync_refused', `another ${what} took the lease at the same moment`);
  }

  return heldLease(tables, holder, durationMs, name);
}

/**
 * The lease of a run that took it elsewhere (a fanned-out full pass: its shares renew and its
 * last share releases the lease its coordinator took); renew and release act only while
 * `holder` still holds it.
 */
export function heldLease(
  tables: Tables,
  holder: string,
  durationMs: number,
  name: LeaseName = LEASE_PARTITION,
): Lease {
  const expiry = (from: Date) => new Date(from.getTime() + durationMs).toISOString();
  const ours = ownLease(tables, name, holder);
  return {
    async renew(at) {
      // The shares of a fanned-out pass renew one lease at once: a stale ETag while the lease is
      // still ours is another share's renewal, so read and try again.
      for (let attempt = 0; attempt < RENEW_ATTEMPTS; attempt += 1) {
        const current = await ours();
        if (current === undefined) break;
        const renewedUntil = expiry(at);
        const write = leaseWrite(name, { expiresAt: renewedUntil }, current);
        if (await wrote(tables, write, ours, renewedUntil)) return;
      }
      throw new SyncServiceError(
        'sync_refused',
        `this ${describeLease(name)} outlived its lease and another run took it over; nothing was written`,
      );
    },
    async release() {
      const current = await ours();
      if (current === undefined) return;
      await tables.applyWrites([
        leaseWrite(name, { expiresAt: new Date(0).toISOString() }, current),
      ]);
    },
  };
}
