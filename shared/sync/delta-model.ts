/**
 * Delta rounds as the domain sees them: a cursor (one filtered `groups/delta` feed over at most
 * 50 groups, kept in `SyncState`) and the record of a round. The store keeps them (documented in
 * docs/schema.md); the cursor layout is decided in `delta-cursors.ts`.
 */
import type { Stored } from './model.js';

/** Graph refuses a `$filter` on `groups/delta` with more than 50 ids. */
export const MAX_GROUPS_PER_CURSOR = 50;

export interface DeltaCursor {
  /** Stable for the cursor's life; the store's row key is derived from it. */
  readonly cursorId: string;
  /** The groups its filter names (lower case), in filter order. */
  readonly groupIds: readonly string[];
  /** Where the next round starts; its `$filter` is inside it. */
  readonly deltaLink: string;
  /** When Graph handed out `deltaLink` (by our clock): an old link is refreshed before it expires. */
  readonly linkIssuedAt: string;
  /** For each covered group, the groups that are its direct members (learned from the feed). */
  readonly memberGroups: Readonly<Record<string, readonly string[]>>;
  /** The covered groups that were assigned to the app when the cursor last ran. */
  readonly assignedGroupIds: readonly string[];
}

export type StoredDeltaCursor = Stored<DeltaCursor>;

export type DeltaRoundOutcome =
  /** Nothing changed: nothing was written, not even this record (see docs/operations.md). */
  | 'unchanged'
  | 'synced'
  /** A sync ran but some writes failed or some groups could not be read. */
  | 'partial'
  /** A link expired or was refused: the full pass ran and the cursors restarted. */
  | 'full-pass'
  /** Another delta round holds the lease, or a full pass is running when one was needed. */
  | 'skipped'
  | 'failed';

export interface DeltaRoundRecord {
  readonly roundId: string;
  readonly trigger: 'delta';
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: DeltaRoundOutcome;
  /** Cursors read this round (each one `groups/delta` round). */
  readonly cursors: number;
  readonly cursorsStarted: number;
  readonly cursorsDropped: number;
  /** Groups the feed reported changed (assigned or nested). */
  readonly changedGroups: readonly string[];
  /** Assigned groups synced (groups scope). */
  readonly syncedGroups: readonly string[];
  readonly tableWrites: number;
  readonly graphRequests: number;
  readonly durationMs: number;
  /** The full pass this round fell back to. */
  readonly fullPassRunId?: string | undefined;
  readonly detail?: string | undefined;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}
