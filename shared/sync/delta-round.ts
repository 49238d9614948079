/**
 * One delta round: read every cursor's `groups/delta` from its link, turn "what changed" into a
 * groups-scope sync of the affected assigned groups (trigger `delta`), start cursors for groups
 * newly followed, drop those no longer followed, and keep the links. A refused link falls back
 * to the full pass. Guarantees and costs: docs/operations.md; decisions: docs/design-notes.md.
 */
import { randomBytes } from 'node:crypto';
import { describeError, isServiceError } from '../errors.js';
import { createGroupDeltaFeed, type GroupDeltaFeed } from '../graph/delta.js';
import type { DirectoryReader } from '../graph/index.js';
import type { Services } from '../services.js';
import type { Lease } from '../store/index.js';
import {
  affectedAssignedGroups,
  chunked,
  layoutCursors,
  memberGroupEdges,
  nextMemberGroups,
} from './delta-cursors.js';
import type {
  DeltaCursor,
  DeltaRoundOutcome,
  DeltaRoundRecord,
  StoredDeltaCursor,
} from './delta-model.js';
import { createSyncEngine } from './engine.js';
import { reconcile } from './reconcile.js';
import { newRunId } from './run-records.js';

export type DeltaRoundDependencies = Pick<
  Services,
  'settings' | 'repository' | 'clock' | 'createDirectory'
> & {
  /** How the round reads `groups/delta` (default: Graph, as the settings say). */
  readonly createDeltaFeed?: (() => GroupDeltaFeed) | undefined;
};

/** Longer than a round should take; a round that dies leaves a lease that expires by itself. */
const LEASE_DURATION_MS = 10 * 60 * 1000;
/**
 * An empty round keeps its stored link (an unchanged round writes nothing); a link older than
 * this is rewritten anyway, so a quiet cursor never reaches Graph's token lifetime (7 days).
 */
export const LINK_REFRESH_MS = 24 * 60 * 60 * 1000;
/** Cursors read at once: a quiet round's cost is one request per cursor, so its wall is theirs. */
const CURSOR_READ_CONCURRENCY = 4;
/** Nesting deeper than this is started over the next rounds. */
const MAX_DISCOVERY_PASSES = 8;

type Cursor = DeltaCursor | StoredDeltaCursor;

interface Progress {
  readonly cursors: Cursor[];
  readonly save: Set<Cursor>;
  readonly changed: Set<string>;
  started: number;
}

class LinkExpired extends Error {}

function newCursorId(): string {
  return randomBytes(8).toString('hex');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function assignedOf(groupIds: readonly string[], assigned: ReadonlySet<string>): string[] {
  return groupIds.filter((id) => assigned.has(id)).sort();
}

async function advanceCursor(
  feed: GroupDeltaFeed,
  cursor: StoredDeltaCursor,
  assigned: ReadonlySet<string>,
  now: Date,
  progress: Progress,
): Promise<void> {
  const result = await feed.round({ deltaLink: cursor.deltaLink });
  if (result.kind === 'expired') throw new LinkExpired(result.reason);
  for (const group of result.groups) progress.changed.add(group.groupId);
  const memberGroups = nextMemberGroups(cursor.memberGroups, result.groups, false);
  const assignedGroupIds = assignedOf(cursor.groupIds, assigned);
  const linkAge = now.getTime() - Date.parse(cursor.linkIssuedAt);
  const unchanged =
    result.groups.length === 0 &&
    !(linkAge >= LINK_REFRESH_MS) &&
    sameList(assignedGroupIds, cursor.assignedGroupIds);
  if (unchanged) {
    progress.cursors.push(cursor);
    return;
  }
  const next: StoredDeltaCursor = {
    ...cursor,
    deltaLink: result.deltaLink,
    linkIssuedAt: now.toISOString(),
    memberGroups,
    assignedGroupIds,
  };
  progress.cursors.push(next);
  progress.save.add(next);
}

/** First rounds for groups no cursor covers, then for the groups they turn out to nest. */
async function startCursors(
  feed: GroupDeltaFeed,
  assigned: ReadonlySet<string>,
  transitive: boolean,
  now: Date,
  progress: Progress,
): Promise<void> {
  const begin = async (groupIds: readonly string[]): Promise<DeltaCursor> => {
    const result = await feed.round({ groupIds });
    if (result.kind === 'expired') throw new LinkExpired(result.reason);
    return {
      cursorId: newCursorId(),
      groupIds,
      deltaLink: result.deltaLink,
      linkIssuedAt: now.toISOString(),
      memberGroups: nextMemberGroups({}, result.groups, true),
      assignedGroupIds: assignedOf(groupIds, assigned),
    };
  };
  const started: DeltaCursor[] = [];
  for (let pass = 0; pass < MAX_DISCOVERY_PASSES; pass += 1) {
    const { start } = layoutCursors(assigned, [...progress.cursors, ...started], transitive);
    if (start.length === 0) break;
    for (const groupIds of start) started.push(await begin(groupIds));
  }
  // Each nesting level found its own cursor; one more first round packs them, so a quiet round
  // costs one request per 50 groups rather than one per level.
  const packed = chunked(started.flatMap((cursor) => cursor.groupIds).sort());
  const final =
    packed.length < started.length ? await Promise.all(packed.map((ids) => begin(ids))) : started;
  for (const cursor of final) {
    progress.cursors.push(cursor);
    progress.save.add(cursor);
  }
  progress.started += final.length;
}

async function assignedGroupIds(directory: DirectoryReader): Promise<Set<string>> {
  const groups = await directory.assignedGroups({ maxAgeSeconds: 0 });
  return new Set(groups.map((group) => group.id.toLowerCase()));
}

/**
 * The assigned groups this round works with. Graph has no delta for `appRoleAssignedTo` (delta
 * tracks only `members` of groups, not navigation properties of service principals), so a round
 * lists it only when the last listing is older than `DELTA_ASSIGNMENT_CHECK_SECONDS`; between
 * listings the cursors' own record of which groups were assigned stands in. Sign-ins and the
 * full pass list assignments themselves. Decision: docs/design-notes.md (2026-12-02).
 */
async function assignedForRound(
  dependencies: DeltaRoundDependencies,
  directory: DirectoryReader,
  stored: readonly StoredDeltaCursor[],
  now: Date,
): Promise<{ readonly assigned: Set<string>; readonly listed: boolean }> {
  const everyMs = dependencies.settings.sync.deltaAssignmentCheckSeconds * 1000;
  if (stored.length > 0 && everyMs > 0) {
    const checkedAt = await dependencies.repository.assignmentsCheckedAt();
    const age = checkedAt === undefined ? Number.NaN : now.getTime() - Date.parse(checkedAt);
    if (age >= 0 && age < everyMs) {
      return {
        assigned: new Set(stored.flatMap((cursor) => cursor.assignedGroupIds)),
        listed: false,
      };
    }
  }
  return { assigned: await assignedGroupIds(directory), listed: true };
}

/** Whether the tables can be trusted as of some full pass (else a first round runs one). */
async function fullPassOnRecord(dependencies: DeltaRoundDependencies): Promise<boolean> {
  const runs = await dependencies.repository.recentRuns(10);
  return runs.some((run) => run.outcome === 'succeeded' || run.outcome === 'held');
}

export async function deltaRound(dependencies: DeltaRoundDependencies): Promise<DeltaRoundRecord> {
  const { settings, repository, clock } = dependencies;
  const startedAt = clock();
  const roundId = newRunId(startedAt);
  const directory = dependencies.createDirectory();
  const feed = dependencies.createDeltaFeed?.() ?? createGroupDeltaFeed(settings, { clock });
  const transitive = settings.sync.groupMembership === 'transitive';
  let cursorsRead = 0;

  const record = (
    outcome: DeltaRoundOutcome,
    fields: Partial<DeltaRoundRecord> = {},
  ): DeltaRoundRecord => ({
    roundId,
    trigger: 'delta',
    startedAt: startedAt.toISOString(),
    endedAt: clock().toISOString(),
    outcome,
    cursors: cursorsRead,
    cursorsStarted: 0,
    cursorsDropped: 0,
    changedGroups: [],
    syncedGroups: [],
    tableWrites: 0,
    graphRequests: directory.requestCount + feed.requestCount,
    durationMs: clock().getTime() - startedAt.getTime(),
    ...fields,
  });

  let lease: Lease;
  try {
    lease = await repository.acquireLease(roundId, startedAt, LEASE_DURATION_MS, 'delta');
  } catch (error) {
    if (!isServiceError(error, 'sync_refused')) throw error;
    return record('skipped', { detail: error.message });
  }
  try {
    const stored = await repository.deltaCursors();
    const { assigned, listed } = await assignedForRound(dependencies, directory, stored, startedAt);
    const layout = layoutCursors(assigned, stored, transitive);
    const progress: Progress = { cursors: [], save: new Set(), changed: new Set(), started: 0 };
    const now = clock();
    try {
      const queue = [...layout.keep];
      const readCursors = async (): Promise<void> => {
        for (let cursor = queue.shift(); cursor !== undefined; cursor = queue.shift()) {
          cursorsRead += 1;
          try {
            await advanceCursor(feed, cursor, assigned, now, progress);
          } catch (error) {
            queue.length = 0; // the round falls back or fails: read no more links
            throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: CURSOR_READ_CONCURRENCY }, readCursors));
      await startCursors(feed, assigned, transitive, now, progress);
    } catch (error) {
      if (!(error instanceof LinkExpired)) throw error;
      // The new cursors follow what is assigned now, not what the cursors last saw.
      const fresh = listed ? assigned : await assignedGroupIds(directory);
      const done = await fallBackToFullPass(
        dependencies,
        stored,
        fresh,
        feed,
        record,
        error.message,
      );
      if (done.outcome === 'full-pass') await repository.markAssignmentsChecked(startedAt);
      return done;
    }

    const firstEver = stored.length === 0;
    if (firstEver && assigned.size > 0 && !(await fullPassOnRecord(dependencies))) {
      return await fallBackToFullPass(
        dependencies,
        stored,
        assigned,
        feed,
        record,
        'no full pass on record: the tables may be stale',
      );
    }

    const previouslyAssigned = new Set(stored.flatMap((cursor) => cursor.assignedGroupIds));
    const newlyAssigned = firstEver
      ? []
      : [...assigned].filter((id) => !previouslyAssigned.has(id));
    const unassigned = [...previouslyAssigned].filter((id) => !assigned.has(id));
    const edges = memberGroupEdges([...stored, ...progress.cursors]);
    const toSync = new Set([
      ...affectedAssignedGroups(
        progress.changed,
        edges,
        new Set([...assigned, ...previouslyAssigned]),
      ),
      ...newlyAssigned,
      ...unassigned,
    ]);

    let tableWrites = 0;
    let outcome: DeltaRoundOutcome = 'unchanged';
    if (toSync.size > 0) {
      const engine = createSyncEngine({ repository, directory, clock, settings });
      const result = await engine.sync({ kind: 'groups', groupIds: toSync }, 'delta', {
        beforeWrite: () => lease.renew(clock()),
      });
      tableWrites = result.summary.tableWrites;
      outcome =
        result.summary.failedWrites > 0 || result.incompleteGroups.length > 0 || !result.settled
          ? 'partial'
          : 'synced';
    }
    // After the sync: a round that failed before here reads the same changes again next time,
    // and so does one that could not sync them all (a replayed change syncs to a no-op).
    const saved =
      outcome === 'partial'
        ? { written: 0, conflicts: 0 }
        : await repository.saveDeltaCursors({ save: [...progress.save], drop: [...layout.drop] });
    if (outcome === 'unchanged' && saved.written > 0) outcome = 'synced';
    // Only once the round got this far: a round that failed lists again next time.
    if (listed) await repository.markAssignmentsChecked(startedAt);
    const done = record(outcome, {
      cursorsStarted: progress.started,
      cursorsDropped: layout.drop.length,
      changedGroups: [...progress.changed].sort(),
      syncedGroups: [...toSync].sort(),
      tableWrites,
      ...(saved.conflicts > 0
        ? { detail: `${saved.conflicts} cursor writes met a stale ETag; they run again next round` }
        : outcome === 'partial'
          ? { detail: 'not every changed group was synced: the cursors stay where they were' }
          : {}),
    });
    if (outcome !== 'unchanged') await repository.writeDeltaRound(done);
    return done;
  } catch (error) {
    const failed = record('failed', {
      error: {
        code: isServiceError(error) ? error.code : 'internal',
        message: describeError(error),
      },
    });
    await repository.writeDeltaRound(failed).catch(() => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
      deltaRound: failed,
    });
  } finally {
    await lease.release().catch(() => undefined);
  }
}

/**
 * The links are no good (or the tables were never synced): start every cursor afresh, then run
 * the full pass, so a change made after the new links is seen by the next round. The new
 * cursors are kept only if the full pass ran: if one is already running, this round is skipped
 * and the next one tries again.
 */
async function fallBackToFullPass(
  dependencies: DeltaRoundDependencies,
  stored: readonly StoredDeltaCursor[],
  assigned: ReadonlySet<string>,
  feed: GroupDeltaFeed,
  record: (outcome: DeltaRoundOutcome, fields?: Partial<DeltaRoundRecord>) => DeltaRoundRecord,
  reason: string,
): Promise<DeltaRoundRecord> {
  const { repository, settings, clock } = dependencies;
  const progress: Progress = { cursors: [], save: new Set(), changed: new Set(), started: 0 };
  await startCursors(
    feed,
    assigned,
    settings.sync.groupMembership === 'transitive',
    clock(),
    progress,
  );
  let fullPass;
  try {
    fullPass = await reconcile(dependencies, { trigger: 'delta' });
  } catch (error) {
    if (!isServiceError(error, 'sync_refused')) throw error;
    const skipped = record('skipped', { detail: `${reason}; a full pass is running` });
    await repository.writeDeltaRound(skipped);
    return skipped;
  }
  await repository.saveDeltaCursors({ save: [...progress.save], drop: [...stored] });
  const done = record('full-pass', {
    cursorsStarted: progress.started,
    cursorsDropped: stored.length,
    tableWrites: fullPass.record.summary?.tableWrites ?? 0,
    fullPassRunId: fullPass.record.runId,
    detail: reason,
  });
  await repository.writeDeltaRound(done);
  return done;
}
