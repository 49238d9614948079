/**
 * The benchmark's phases, in order, each measured beside its floor in the same run. A phase is
 * a full pass, a round of sign-ins, or a slot still to fill: the delta rounds of issue 12.1
 * plug in where their TODO entries stand, with the same shape (measure, then floor, then
 * `<name>Ratio`).
 */
import type { BenchContext } from './context.js';
import type { FullPassMeasure, SignInsMeasure } from './worker.js';
import type { Timing } from './floors.js';
import { notificationLatency, type LatencyResult } from './notification-latency.js';

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

export interface TodoResult {
  readonly kind: 'todo';
  readonly name: string;
  readonly title: string;
}

export type PhaseResult = FullPassResult | SignInsResult | TodoResult | LatencyResult;

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

function todo(name: string, title: string): Phase {
  return {
    name,
    title,
    run: () => Promise.resolve({ kind: 'todo', name, title }),
  };
}

/** The change phase's guard sits above the change, so the phase measures the change itself. */
function changeTenant(context: BenchContext): void {
  context.changeMemberships();
}

export const PHASES: readonly Phase[] = [
  fullPass('firstRun', 'first run (everything created)', 'writes'),
  signIns('firstSignIns', 'sign-ins after the first run'),
  fullPass('unchanged', 'unchanged full pass', 'read'),
  signIns('unchangedSignIns', 'sign-ins after the unchanged pass'),
  todo(
    'unchangedDelta',
    'TODO(12.1): unchanged delta round, once the simulated tenant serves groups/delta',
  ),
  fullPass('change', '1 % change through a full pass', 'read+replay', changeTenant),
  signIns('changeSignIns', 'sign-ins after the change'),
  todo('changeDelta', 'TODO(12.1): 1 % change through a delta round'),
  // Last: it leaves a subscription's worth of changes (the burst's adds) in the tenant.
  notificationLatency(
    'notificationLatency',
    'change-to-table latency through change notifications',
  ),
];
