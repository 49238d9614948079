/**
 * A fanned-out full pass's bookkeeping in `SyncState`, one partition per run
 * (`fan-out~<runId>`): the run (`run`), one row per share (`share-NNNNN`), the guard's decision
 * (`decision`) and the share that finished the run (`finished`). The decision and the finish
 * are created conditionally, so that of shares racing to them exactly one wins.
 */
import type {
  FanOutDecision,
  FanOutRun,
  FanOutState,
  SharePhase,
  ShareState,
} from '../sync/fan-out-model.js';
import type { HeldChange, IncompleteGroup, RunSummary, RunTrigger } from '../sync/run-records.js';
import type { EntityProperties, StoredEntity } from './entities.js';
import { jsonList, numberOf, parsedJson, textOf } from './entity-values.js';
import type { Tables, TableWrite } from './tables.js';

const RUN_ROW = 'run';
const DECISION_ROW = 'decision';
const FINISHED_ROW = 'finished';
/** Table Storage caps a string property at 64 KiB; longer lists are cut (teams: `all`). */
const MAX_JSON_CHARS = 30_000;

export interface FanOutStore {
  /** The run and its shares (their groups), all `queued`. */
  start(run: FanOutRun, shareGroups: readonly (readonly string[])[]): Promise<void>;
  read(runId: string): Promise<FanOutState>;
  writeShare(runId: string, state: ShareState): Promise<void>;
  /** Records the decision unless one is; answers the one that stands and whether it is ours. */
  decide(
    runId: string,
    decision: FanOutDecision,
  ): Promise<{ readonly decision: FanOutDecision; readonly ours: boolean }>;
  markEnqueued(runId: string): Promise<void>;
  /** Claims the finish for `share` unless another share has; answers the share that holds it. */
  claimFinish(runId: string, share: number): Promise<number>;
}

const partitionOf = (runId: string) => `fan-out~${runId}`;
const shareRow = (share: number) => `share-${String(share).padStart(5, '0')}`;
const number = (entity: StoredEntity, name: string) => numberOf(entity, name) ?? 0;
const text = (entity: StoredEntity, name: string) => textOf(entity, name) ?? '';

function cutList<T>(items: readonly T[]): T[] {
  const kept: T[] = [];
  let length = 2;
  for (const item of items) {
    length += JSON.stringify(item).length + 1;
    if (length > MAX_JSON_CHARS) break;
    kept.push(item);
  }
  return kept;
}

function runFrom(entity: StoredEntity): FanOutRun {
  return {
    runId: text(entity, 'runId'),
    trigger: text(entity, 'trigger') as RunTrigger,
    startedAt: text(entity, 'startedAt'),
    shares: number(entity, 'shares'),
    maxMembershipRemovals: number(entity, 'maxMembershipRemovals'),
    groups: number(entity, 'groups'),
    graphRequests: number(entity, 'graphRequests'),
  };
}

function shareFrom(entity: StoredEntity): ShareState {
  return {
    share: number(entity, 'share'),
    groupIds: jsonList<string>(entity.groupIdsJson),
    phase: (text(entity, 'phase') || 'queued') as SharePhase,
    removals: number(entity, 'removals'),
    summary: parsedJson(entity.summaryJson) as RunSummary | undefined,
    held: jsonList<HeldChange>(entity.heldJson),
    heldTeams: entity.allHeldTeams === true ? 'all' : jsonList<string>(entity.heldTeamsJson),
    holdReason: text(entity, 'holdReason') || undefined,
    incompleteGroups: jsonList<IncompleteGroup>(entity.incompleteGroupsJson),
  };
}

function shareProperties(state: ShareState): EntityProperties {
  const teamsJson = state.heldTeams === 'all' ? '' : JSON.stringify(state.heldTeams);
  const allHeldTeams = state.heldTeams === 'all' || teamsJson.length > MAX_JSON_CHARS;
  return {
    share: state.share,
    groupIdsJson: JSON.stringify(state.groupIds),
    phase: state.phase,
    removals: state.removals,
    summaryJson: state.summary === undefined ? '' : JSON.stringify(state.summary),
    heldJson: JSON.stringify(cutList(state.held)),
    heldTeamsJson: allHeldTeams ? '[]' : teamsJson,
    allHeldTeams,
    holdReason: state.holdReason ?? '',
    incompleteGroupsJson: JSON.stringify(cutList(state.incompleteGroups)),
  };
}

function decisionFrom(entity: StoredEntity): FanOutDecision {
  return {
    applyRemovals: entity.applyRemovals === true,
    removals: number(entity, 'removals'),
    decidedBy: number(entity, 'decidedBy'),
    enqueued: entity.enqueued === true,
  };
}

export function fanOutStore(tables: Tables): FanOutStore {
  const write = async (writes: readonly TableWrite[]) => {
    const report = await tables.applyWrites(writes);
    return report.results;
  };
  const mustApply = async (writes: readonly TableWrite[]) => {
    const failure = (await write(writes)).find((result) => result.outcome !== 'applied');
    if (failure?.error !== undefined) throw failure.error;
  };
  const row = (runId: string, rowKey: string) =>
    ({ table: 'state', partitionKey: partitionOf(runId), rowKey }) as const;

  return {
    async start(run, shareGroups) {
      const shares = shareGroups.map((groupIds, share): TableWrite => ({
        ...row(run.runId, shareRow(share)),
        action: 'upsert',
        properties: shareProperties({
          share,
          groupIds,
          phase: 'queued',
          removals: 0,
          summary: undefined,
          held: [],
          heldTeams: [],
          holdReason: undefined,
          incompleteGroups: [],
        }),
      }));
      await mustApply([
        { ...row(run.runId, RUN_ROW), action: 'upsert', properties: { ...run } },
        ...shares,
      ]);
    },
    async read(runId) {
      const entities = await tables.readPartition('state', partitionOf(runId));
      const byRow = new Map(entities.map((entity) => [entity.rowKey, entity]));
      const runEntity = byRow.get(RUN_ROW);
      const decision = byRow.get(DECISION_ROW);
      const finished = byRow.get(FINISHED_ROW);
      const shares = entities.filter((entity) => entity.rowKey.startsWith('share-')).map(shareFrom);
      return {
        run: runEntity === undefined ? undefined : runFrom(runEntity),
        shares: new Map(shares.map((state) => [state.share, state])),
        decision: decision === undefined ? undefined : decisionFrom(decision),
        finishedBy: finished === undefined ? undefined : number(finished, 'finishedBy'),
      };
    },
    async writeShare(runId, state) {
      await mustApply([
        {
          ...row(runId, shareRow(state.share)),
          action: 'upsert',
          properties: shareProperties(state),
        },
      ]);
    },
    async decide(runId, decision) {
      const [result] = await write([
        { ...row(runId, DECISION_ROW), action: 'create', properties: { ...decision } },
      ]);
      if (result?.outcome === 'applied') return { decision, ours: true };
      if (result?.outcome !== 'exists' && result?.error !== undefined) throw result.error;
      const stored = await tables.readEntity('state', partitionOf(runId), DECISION_ROW);
      const standing = stored === undefined ? decision : decisionFrom(stored);
      return { decision: standing, ours: standing.decidedBy === decision.decidedBy };
    },
    async markEnqueued(runId) {
      await mustApply([
        { ...row(runId, DECISION_ROW), action: 'upsert', properties: { enqueued: true } },
      ]);
    },
    async claimFinish(runId, share) {
      const [result] = await write([
        { ...row(runId, FINISHED_ROW), action: 'create', properties: { finishedBy: share } },
      ]);
      if (result?.outcome === 'applied') return share;
      if (result?.outcome !== 'exists' && result?.error !== undefined) throw result.error;
      const stored = await tables.readEntity('state', partitionOf(runId), FINISHED_ROW);
      return stored === undefined ? share : number(stored, 'finishedBy');
    },
  };
}
