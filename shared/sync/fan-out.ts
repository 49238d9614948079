/**
 * The fanned-out full pass's coordinator (docs/scaling.md, "The fan-out"): a full pass over
 * more assigned groups than FULL_PASS_FAN_OUT_GROUPS is split into shares of
 * FULL_PASS_SHARE_GROUPS groups, plus one sweep share, each a message on `group-sync`. The run
 * keeps the lease its coordinator took until its last share finishes it (fan-out-share.ts).
 */
import type { Settings } from '../config/settings.js';
import type { GroupSyncMessage, GroupSyncQueue } from '../queue/index.js';
import type { Repository } from '../store/index.js';
import type { FanOutRun } from './fan-out-model.js';
import type { RunRecord, RunTrigger } from './run-records.js';

export interface FanOutStart {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: Date;
  readonly groupIds: readonly string[];
  readonly maxMembershipRemovals: number;
  readonly graphRequests: number;
}

export interface FanOutDependencies {
  readonly settings: Settings;
  readonly repository: Repository;
  readonly groupSyncQueue: GroupSyncQueue;
}

/** Whether a full pass over this many assigned groups fans out. */
export function fansOut(settings: Settings, assignedGroups: number): boolean {
  return assignedGroups > settings.sync.fanOutGroups;
}

export function shareMessage(
  runId: string,
  share: number,
  phase: 'plan' | 'apply',
  groupIds: readonly string[],
): GroupSyncMessage {
  return {
    kind: 'full-pass-share',
    runId,
    share,
    phase,
    groupIds: [...groupIds],
    sweep: groupIds.length === 0,
  };
}

/** Records the run and its shares, and enqueues every share's plan. Answers the run, `running`. */
export async function startFanOut(
  dependencies: FanOutDependencies,
  start: FanOutStart,
): Promise<RunRecord> {
  const { settings, repository, groupSyncQueue } = dependencies;
  const sorted = [...start.groupIds].sort();
  const size = settings.sync.shareGroups;
  const shareGroups: string[][] = [];
  for (let first = 0; first < sorted.length; first += size) {
    shareGroups.push(sorted.slice(first, first + size));
  }
  shareGroups.push([]);
  const run: FanOutRun = {
    runId: start.runId,
    trigger: start.trigger,
    startedAt: start.startedAt.toISOString(),
    shares: shareGroups.length,
    maxMembershipRemovals: start.maxMembershipRemovals,
    groups: sorted.length,
    graphRequests: start.graphRequests,
  };
  await repository.fanOut.start(run, shareGroups);
  await groupSyncQueue.send(
    shareGroups.map((groupIds, share) => shareMessage(start.runId, share, 'plan', groupIds)),
  );
  return {
    runId: run.runId,
    trigger: run.trigger,
    startedAt: run.startedAt,
    outcome: 'running',
    held: [],
    incompleteGroups: [],
  };
}
