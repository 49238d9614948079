/**
 * The benchmark's phases, in order, each measured beside its floor in the same run. A phase is
 * a full pass, a delta round or a round of sign-ins: measure, then floor, then `<name>Ratio`.
 */
import type { BenchContext } from './context.js';
import type { DeltaRoundMeasure, FullPassMeasure, SignInsMeasure } from './worker.js';
import type { Timing } from './floors.js';
import { notificationLatency, type LatencyResult } from './notification-latency.js';
import { exactlyThePairs, writtenPairs } from './written-pairs.js';

export interface FullPassResult {
  readonly kind: 'full-pass';
  readonly name: string;
  readonly title: string;
  readonly measure: FullPassMeasure;
  readonly floors: {
    readonly tablesMs: number;
    readonly tables: string;
    readonly graph: Timing;
    readonly writes?: Awaited<ReturnType<BenchContext['bareWrites']>> | Timing;
    readonly read?: Timing;
  };
  readonly ratio: number;
  readonly ratios: Record<string, number>;
}

export interface SignInsResult {
  readonly kind: 'sign-ins';
  readonly name: string;
  readonly title: string;
  readonly measure: SignInsMeasure;
  readonly floor: { readonly latenciesMs: readonly number[]; readonly tableReads: number };
  readonly ratio: number;
  readonly ratios: Record<string, number>;
}

export interface DeltaRoundResult {
  readonly kind: 'delta-round';
  readonly name: string;
  readonly title: string;
  /** The round measured (its captured writes left out of the JSON). */
  readonly measure: Omit<DeltaRoundMeasure, 'writes' | 'links' | 'floorPartitions'>;
  /** The round that first started the cursors, when the phase had to run one before. */
  readonly start?: Omit<DeltaRoundMeasure, 'writes' | 'links' | 'floorPartitions'>;
  readonly floors: {
    readonly ms: number;
    readonly what: string;
    /** The same deltaLinks read bare. */
    readonly graph: Timing;
    readonly read?: Timing;
    readonly writes?: Timing;
  };
  /** A change phase: whether exactly the changed pairs were written (both sides), nothing else. */
  readonly pairs?: {
    readonly added: number;
    readonly removed: number;
    readonly newUsers: number;
    readonly otherSample: readonly string[];
    /** What the change made: the check runs after later phases changed `context.expect`. */
    readonly expected: {
      readonly added: number;
      readonly removed: number;
      readonly newUsers: number;
    };
    readonly exact: boolean;
  };
  readonly ratio: number;
  readonly ratios: Record<string, number>;
}

export type PhaseResult = FullPassResult | SignInsResult | DeltaRoundResult | LatencyResult;

export interface Phase {
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<PhaseResult>;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

const ratio = (measured: number, floor: number): number =>
  floor > 0 ? Math.round((measured / floor) * 100) / 100 : Number.NaN;

function fullPass(
  name: string,
  title: string,
  floor: 'writes' | 'read' | 'read+replay',
  before?: (context: BenchContext) => void,
): Phase {
  return {
    name,
    title,
    async run(context) {
      before?.(context);
      const measure = await context.fullPass(floor === 'read+replay');
      const graph = await context.bareGraph();
      if (floor === 'writes') {
        const read = await context.bareRead(true);
        const writes = await context.bareWrites();
        return {
          kind: 'full-pass',
          name,
          title,
          measure,
          floors: {
            tablesMs: writes.ms,
            tables: `bare transactions (concurrency ${writes.concurrency})`,
            graph,
            writes,
            read,
          },
          ratio: ratio(measure.wallMs, writes.ms),
          ratios: {
            [`${name}Ratio`]: ratio(measure.wallMs, writes.ms),
            [`${name}WritesRatio`]: ratio(measure.traffic.contractMs, writes.ms),
            [`${name}GraphRatio`]: ratio(measure.traffic.graphMs, graph.ms),
          },
        };
      }
      const read = await context.bareRead(false);
      const writes = floor === 'read+replay' ? await context.bareReplay(measure.writes) : undefined;
      const tablesMs = read.ms + (writes?.ms ?? 0);
      return {
        kind: 'full-pass',
        name,
        title,
        measure: { ...measure, writes: [] },
        floors: {
          tablesMs,
          tables:
            writes === undefined ? 'bare read of both tables' : 'bare read + the same writes, bare',
          graph,
          read,
          ...(writes === undefined ? {} : { writes }),
        },
        ratio: ratio(measure.wallMs, tablesMs),
        ratios: {
          [`${name}Ratio`]: ratio(measure.wallMs, tablesMs),
          [`${name}ReadRatio`]: ratio(measure.traffic.tableReadMs, read.ms),
          [`${name}GraphRatio`]: ratio(measure.traffic.graphMs, graph.ms),
        },
      };
    },
  };
}

function signIns(name: string, title: string): Phase {
  return {
    name,
    title,
    async run(context) {
      const measure = await context.signIns();
      const floor = await context.bareSignIns();
      const ours = measure.signIns.map((record) => record.ms);
      return {
        kind: 'sign-ins',
        name,
        title,
        measure,
        floor: {
          latenciesMs: floor.latenciesMs,
          tableReads: floor.tableReads / Math.max(1, floor.latenciesMs.length),
        },
        ratio: ratio(percentile(ours, 99), percentile(floor.latenciesMs, 99)),
        ratios: {
          [`${name}Ratio`]: ratio(percentile(ours, 99), percentile(floor.latenciesMs, 99)),
          [`${name}P50Ratio`]: ratio(percentile(ours, 50), percentile(floor.latenciesMs, 50)),
        },
      };
    },
  };
}

const summary = ({ writes, links, floorPartitions, ...rest }: DeltaRoundMeasure) => rest;

/**
 * A delta round over an unchanged tenant, right after an unchanged full pass. The cursors are
 * started first by a round of their own (reported as `start`), so the one measured is the
 * steady-state round: its floor is the same deltaLinks read bare.
 */
function unchangedDelta(name: string, title: string): Phase {
  return {
    name,
    title,
    async run(context) {
      const start = await context.deltaRound(false);
      const measure = await context.deltaRound(false);
      const graph = await context.bareDeltaLinks(measure.links);
      return {
        kind: 'delta-round',
        name,
        title,
        measure: summary(measure),
        start: summary(start),
        floors: { ms: graph.ms, what: 'the same deltaLinks, bare', graph },
        ratio: ratio(measure.wallMs, graph.ms),
        ratios: {
          [`${name}Ratio`]: ratio(measure.wallMs, graph.ms),
          [`${name}RequestsRatio`]: ratio(measure.record.graphRequests, graph.requests),
        },
      };
    },
  };
}

/**
 * About `--change` of the memberships changed, then ONE delta round (guard above the change).
 * Its floor re-reads and writes only the changed groups: the same deltaLinks bare, a bare read
 * of the Teams partitions the round read and the Users partitions it wrote, and the same
 * writes replayed bare.
 */
function changeDelta(name: string, title: string): Phase {
  return {
    name,
    title,
    async run(context) {
      context.changeMemberships();
      const measure = await context.deltaRound(true);
      const graph = await context.bareDeltaLinks(measure.links);
      const read = await context.bareReadPartitions(measure.floorPartitions);
      const writes = await context.bareReplay(measure.writes);
      const ms = graph.ms + read.ms + writes.ms;
      const { addedPairs = new Set(), removedPairs = new Set(), newUsers = 0 } = context.expect;
      const pairs = writtenPairs(measure.writes);
      return {
        kind: 'delta-round',
        name,
        title,
        measure: summary(measure),
        floors: {
          ms,
          what: 'the same deltaLinks + a read of the changed partitions + the same writes, bare',
          graph,
          read,
          writes,
        },
        pairs: {
          added: pairs.teamSideAdded.size,
          removed: pairs.teamSideRemoved.size,
          newUsers: pairs.other,
          otherSample: pairs.otherSample,
          expected: { added: addedPairs.size, removed: removedPairs.size, newUsers },
          exact: exactlyThePairs(pairs, { added: addedPairs, removed: removedPairs }, newUsers),
        },
        ratio: ratio(measure.wallMs, ms),
        ratios: {
          [`${name}Ratio`]: ratio(measure.wallMs, ms),
          [`${name}WritesRatio`]: ratio(measure.traffic.contractMs, writes.ms),
        },
      };
    },
  };
}

/** The change phase's guard sits above the change, so the phase measures the change itself. */
function changeTenant(context: BenchContext): void {
  context.changeMemberships();
}

/**
 * The delta phases come straight after the unchanged pass, so the cursors started there see
 * only the delta phase's own change; the full pass's change comes after them.
 */
export const PHASES: readonly Phase[] = [
  fullPass('firstRun', 'first run (everything created)', 'writes'),
  signIns('firstSignIns', 'sign-ins after the first run'),
  fullPass('unchanged', 'unchanged full pass', 'read'),
  signIns('unchangedSignIns', 'sign-ins after the unchanged pass'),
  unchangedDelta('unchangedDelta', 'unchanged delta round'),
  signIns('unchangedDeltaSignIns', 'sign-ins after the unchanged delta round'),
  changeDelta('changeDelta', '1 % change through one delta round'),
  signIns('changeDeltaSignIns', 'sign-ins after the delta change'),
  fullPass('change', '1 % change through a full pass', 'read+replay', changeTenant),
  signIns('changeSignIns', 'sign-ins after the change'),
  // Last: it leaves a subscription's worth of changes (the burst's adds) in the tenant.
  notificationLatency(
    'notificationLatency',
    'change-to-table latency through change notifications',
  ),
];

/** What `--delta-only` runs after its first run. */
export const DELTA_PHASES: readonly Phase[] = PHASES.filter((phase) =>
  ['unchangedDelta', 'changeDelta'].includes(phase.name),
);
