/**
 * The bookkeeping of a fanned-out full pass, as the domain sees it (kept in `SyncState`, see
 * docs/schema.md): the run, one state per share, the guard's decision over the whole run, and
 * which share finished it.
 */
import type { HeldChange, IncompleteGroup, RunSummary, RunTrigger } from './run-records.js';

export interface FanOutRun {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: string;
  /** Shares, the sweep included (the last one). */
  readonly shares: number;
  /** The guard's limit for this run (MAX_MEMBERSHIP_REMOVALS_PER_RUN or an operator's release). */
  readonly maxMembershipRemovals: number;
  /** Assigned groups when the run started. */
  readonly groups: number;
  /** Graph requests the coordinator made (the assignment listing). */
  readonly graphRequests: number;
}

/**
 * `queued`: not planned yet. `planned`: it applied everything but its removals and archives,
 * which wait for the run's decision. `applied`: done.
 */
export type SharePhase = 'queued' | 'planned' | 'applied';

export interface ShareState {
  readonly share: number;
  /** Its assigned groups; none for the sweep (the last share). */
  readonly groupIds: readonly string[];
  readonly phase: SharePhase;
  /** Membership removals it planned and keeps for the decision. */
  readonly removals: number;
  /** What it did, over both phases. */
  readonly summary: RunSummary | undefined;
  readonly held: readonly HeldChange[];
  /** Teams whose removals or archive it held (`all`: too many to keep). */
  readonly heldTeams: readonly string[] | 'all';
  readonly holdReason: string | undefined;
  readonly incompleteGroups: readonly IncompleteGroup[];
}

export interface FanOutDecision {
  /** Whether the removals apply; otherwise every share holds its removals and archives. */
  readonly applyRemovals: boolean;
  readonly removals: number;
  /** The share whose planning completed the run's count and which enqueues the applies. */
  readonly decidedBy: number;
  readonly enqueued: boolean;
}

export interface FanOutState {
  readonly run: FanOutRun | undefined;
  readonly shares: ReadonlyMap<number, ShareState>;
  readonly decision: FanOutDecision | undefined;
  /** The share that writes the run record; undefined until every share has applied. */
  readonly finishedBy: number | undefined;
}
