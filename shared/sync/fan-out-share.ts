/**
 * One share of a fanned-out full pass, as the `group-sync` worker runs it. `plan`: a groups
 * sync of its batch that applies everything but removals and archives, and records how many
 * removals it keeps back; the share that completes the count decides for the whole run
 * (MAX_MEMBERSHIP_REMOVALS_PER_RUN over the sum) and enqueues `apply` for the shares that kept
 * something back. `apply`: the share plans again and applies its removals, or holds them. The
 * share that completes the run writes its record and the hold and releases the lease.
 *
 * Every step may run twice (the queue redelivers): a share already past a phase skips it, and
 * the decision and the finish are created conditionally, so exactly one share makes each.
 */
import { SyncServiceError } from '../errors.js';
import type { GroupSyncQueue } from '../queue/index.js';
import type { Services } from '../services.js';
import type { Repository } from '../store/index.js';
import { createSyncEngine, type SyncResult } from './engine.js';
import type { FanOutRun, ShareState } from './fan-out-model.js';
import { addSummaries, fanOutRecord, holdOfShares } from './fan-out-run.js';
import { shareMessage } from './fan-out.js';
import { runLine } from './report.js';
import { heldChange, FULL_PASS_LEASE_MS, type RunRecord, type RunSummary } from './run-records.js';
import { summarise } from './summary.js';
import type { Operation } from './operations.js';

export type ShareDependencies = Pick<
  Services,
  'settings' | 'repository' | 'clock' | 'createDirectory' | 'groupSyncQueue'
>;

export interface ShareWork {
  readonly runId: string;
  readonly share: number;
  readonly phase: 'plan' | 'apply';
}

/** Held in the plan phase only to be counted: the run's guard has not decided yet. */
const PENDING = "held until every share has counted its removals (the run's guard)";
/** Share teams whose holds are kept by id; beyond this the hold covers every team. */
const MAX_HELD_TEAMS = 2_000;

function heldTeamsOf(held: readonly Operation[]): string[] | 'all' {
  const teams = new Set<string>();
  for (const operation of held) {
    if (operation.kind === 'membership-removed' || operation.kind === 'team-archived') {
      teams.add(operation.teamId);
    }
  }
  return teams.size > MAX_HELD_TEAMS ? 'all' : [...teams].sort();
}

/** The sweep's teams: every team row from Entra whose group the run did not find assigned. */
async function sweptTeams(repository: Repository, assigned: ReadonlySet<string>) {
  const teams = new Set<string>();
  let continuationToken: string | undefined;
  do {
    const page = await repository.teamRowPage({ pageSize: 1000, continuationToken });
    for (const team of page.teams) {
      if (team.source === 'entra' && !assigned.has(team.teamId)) teams.add(team.teamId);
    }
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
  return teams;
}

function summaryOf(
  result: SyncResult,
  held: readonly Operation[],
  graphRequests: number,
  durationMs: number,
): RunSummary {
  return {
    ...summarise(result.outcomes, held),
    groups: result.groups,
    incompleteGroups: result.incompleteGroups.length,
    graphRequests,
    durationMs,
  };
}

async function decide(
  dependencies: { readonly repository: Repository; readonly groupSyncQueue: GroupSyncQueue },
  run: FanOutRun,
  share: number,
): Promise<void> {
  const { repository, groupSyncQueue } = dependencies;
  const state = await repository.fanOut.read(run.runId);
  const shares = [...state.shares.values()];
  if (shares.some((other) => other.phase === 'queued')) return;
  const removals = shares.reduce((total, other) => total + other.removals, 0);
  const { decision, ours } = await repository.fanOut.decide(run.runId, {
    applyRemovals: removals <= run.maxMembershipRemovals,
    removals,
    decidedBy: share,
    enqueued: false,
  });
  if (!ours || decision.enqueued) return;
  const waiting = shares.filter((other) => other.phase === 'planned');
  await groupSyncQueue.send(
    waiting.map((other) => shareMessage(run.runId, other.share, 'apply', other.groupIds)),
  );
  await repository.fanOut.markEnqueued(run.runId);
}

/** Ends the run when every share has applied; answers its record when this share ended it. */
async function finish(
  dependencies: ShareDependencies,
  run: FanOutRun,
  share: number,
): Promise<RunRecord | undefined> {
  const { repository, clock } = dependencies;
  const state = await repository.fanOut.read(run.runId);
  const shares = [...state.shares.values()].sort((a, b) => a.share - b.share);
  if (shares.some((other) => other.phase !== 'applied')) return undefined;
  if ((await repository.fanOut.claimFinish(run.runId, share)) !== share) return undefined;
  const record = fanOutRecord(run, shares, state.decision, clock());
  await repository.writeHold(holdOfShares(run.runId, shares));
  await repository.writeRun(record);
  await repository.heldLease(run.runId, FULL_PASS_LEASE_MS).release();
  return record;
}

/** Runs one phase of one share; answers what it did, for the worker's log. */
export async function workShare(dependencies: ShareDependencies, work: ShareWork): Promise<string> {
  const { repository, clock, settings } = dependencies;
  const state = await repository.fanOut.read(work.runId);
  const { run } = state;
  const mine = state.shares.get(work.share);
  if (run === undefined || mine === undefined) {
    return `full pass ${work.runId}: no such run or share ${work.share}; message dropped`;
  }
  if (state.finishedBy !== undefined) return `full pass ${run.runId} already finished`;
  const label = `full pass ${run.runId} share ${work.share + 1}/${run.shares}`;
  const alreadyDone =
    mine.phase === 'applied' || (work.phase === 'plan' && mine.phase === 'planned');
  if (!alreadyDone) {
    const decision = state.decision;
    if (work.phase === 'apply' && decision === undefined) {
      throw new SyncServiceError('sync_refused', `${label}: applied before the run decided`);
    }
    const lease = repository.heldLease(run.runId, FULL_PASS_LEASE_MS);
    // A run that lost its lease (it outlived it; another pass took over) stops here.
    await lease.renew(clock());
    const startedAt = clock();
    const sweep = mine.groupIds.length === 0;
    const groupIds = sweep
      ? await sweptTeams(
          repository,
          new Set([...state.shares.values()].flatMap((other) => other.groupIds)),
        )
      : new Set(mine.groupIds);
    const directory = dependencies.createDirectory();
    const engine = createSyncEngine({ repository, directory, clock, settings });
    const holdRemovals =
      work.phase === 'plan'
        ? PENDING
        : decision?.applyRemovals === true
          ? undefined
          : `every removal of the run held by its guard (${decision?.removals ?? 0} removals)`;
    const result = await engine.sync({ kind: 'groups', groupIds }, run.trigger, {
      share: { directlyAssigned: sweep },
      holdRemovals,
      // The decision counted the whole run; this share's own plan is not counted again.
      maxMembershipRemovals: Number.MAX_SAFE_INTEGER,
      beforeWrite: () => lease.renew(clock()),
    });
    const { plan } = result;
    const kept = work.phase === 'plan' ? plan.held : [];
    const held = work.phase === 'plan' ? [] : plan.held;
    await repository.writeAudit(
      run.runId,
      [...result.outcomes, ...held.map((operation) => ({ operation, outcome: 'held' }))],
      `${String(work.share).padStart(5, '0')}-${work.phase === 'plan' ? 1 : 2}`,
    );
    const summary = summaryOf(
      result,
      held,
      directory.requestCount,
      clock().getTime() - startedAt.getTime(),
    );
    const next: ShareState = {
      ...mine,
      phase: kept.length > 0 ? 'planned' : 'applied',
      removals:
        work.phase === 'plan'
          ? kept.filter((operation) => operation.kind === 'membership-removed').length
          : mine.removals,
      summary: addSummaries(mine.summary, summary),
      held: held.map(heldChange),
      heldTeams: heldTeamsOf(held),
      holdReason: held.length > 0 ? plan.holdReason : undefined,
      incompleteGroups: result.incompleteGroups,
    };
    await repository.fanOut.writeShare(run.runId, next);
  }
  if (work.phase === 'plan') await decide(dependencies, run, work.share);
  const ended = await finish(dependencies, run, work.share);
  return `${label}: ${work.phase} done${ended === undefined ? '' : `; the run ended: ${runLine(ended)}`}`;
}
