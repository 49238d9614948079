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

export async function acquireLease(
  tables: Tables,
  holder: string,
  now: Date,
  durationMs: number,
  name: LeaseName = LEASE_PARTITION,
): Promise<Lease> {
  const what = name === 'delta' ? 'delta round' : 'reconciliation';
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
  const ours = async (): Promise<StoredEntity | undefined> => {
    const current = await tables.readEntity('state', name, LEASE_ROW);
    return current?.holder === holder ? current : undefined;
  };
  /**
   * Whether a lease write took effect. A write whose answer was lost is sent again by the SDK,
   * which then meets its own first attempt (412, 409) or gives up: the row says what happened,
   * and the expiry written (to the millisecond, with the holder) is this write's alone.
   */
  const wrote = async (write: TableWrite, expiresAt: string): Promise<boolean> => {
    const outcome = (await tables.applyWrites([write])).results[0]?.outcome;
    return outcome === 'applied' || (await ours())?.expiresAt === expiresAt;
  };

  const until = expiry(now);
  if (!(await wrote(leaseWrite(name, { holder, expiresAt: until }, existing), until))) {
    throw new SyncServiceError('sync_refused', `another ${what} took the lease at the same moment`);
  }
  return {
    async renew(at) {
      const current = await ours();
      const renewedUntil = expiry(at);
      const renewed =
        current !== undefined &&
        (await wrote(leaseWrite(name, { expiresAt: renewedUntil }, current), renewedUntil));
      if (!renewed) {
        throw new SyncServiceError(
          'sync_refused',
          `this ${what} outlived its lease and another run took it over; nothing was written`,
        );
      }
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
