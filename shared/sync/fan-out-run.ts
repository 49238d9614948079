/**
 * What a fanned-out full pass adds up to: the shares' summaries summed, their holds joined, and
 * the run record the last share writes.
 */
import type { GuardHold } from './guard-hold.js';
import type { FanOutDecision, FanOutRun, ShareState } from './fan-out-model.js';
import { removalGuardReason } from './planner.js';
import { RUN_SUMMARY_FIELDS, type RunRecord, type RunSummary } from './run-records.js';

export function addSummaries(a: RunSummary | undefined, b: RunSummary): RunSummary {
  if (a === undefined) return b;
  const sum = { ...a };
  for (const field of RUN_SUMMARY_FIELDS) sum[field] = a[field] + b[field];
  return sum;
}

/** The hold a fanned-out run leaves: the teams every share held, joined. */
export function holdOfShares(runId: string, shares: Iterable<ShareState>): GuardHold | undefined {
  const teamIds = new Set<string>();
  for (const share of shares) {
    if (share.heldTeams === 'all') return { runId, teamIds: 'all' };
    for (const teamId of share.heldTeams) teamIds.add(teamId);
  }
  return teamIds.size === 0 ? undefined : { runId, teamIds };
}

export function fanOutRecord(
  run: FanOutRun,
  shares: readonly ShareState[],
  decision: FanOutDecision | undefined,
  endedAt: Date,
): RunRecord {
  let summary: RunSummary | undefined;
  for (const share of shares) {
    if (share.summary !== undefined) summary = addSummaries(summary, share.summary);
  }
  const incompleteGroups = shares.flatMap((share) => share.incompleteGroups);
  const held = shares.flatMap((share) => share.held);
  const totals: RunSummary = {
    ...(summary ??
      (Object.fromEntries(RUN_SUMMARY_FIELDS.map((field) => [field, 0])) as unknown as RunSummary)),
    groups: run.groups,
    incompleteGroups: incompleteGroups.length,
    graphRequests: run.graphRequests + (summary?.graphRequests ?? 0),
    durationMs: endedAt.getTime() - Date.parse(run.startedAt),
  };
  const holdReason =
    decision?.applyRemovals === false && held.length > 0
      ? `${removalGuardReason(decision.removals, run.maxMembershipRemovals)} (counted over ${run.shares} shares)`
      : undefined;
  return {
    runId: run.runId,
    trigger: run.trigger,
    startedAt: run.startedAt,
    endedAt: endedAt.toISOString(),
    outcome:
      totals.failedWrites > 0 || incompleteGroups.length > 0
        ? 'partial'
        : held.length > 0
          ? 'held'
          : 'succeeded',
    summary: totals,
    holdReason,
    held,
    incompleteGroups,
  };
}
