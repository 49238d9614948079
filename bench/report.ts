/** The benchmark's printed tables and JSON: every figure beside its floor, every ratio named. */
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { latencyRows, type LatencyResult } from './notification-latency.js';
import {
  percentile,
  type DeltaRoundResult,
  type FullPassResult,
  type PhaseResult,
  type SignInsResult,
} from './phases.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function num(value: number, digits = 0): string {
  if (Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const mb = (bytes: number) => `${num(bytes / 2 ** 20)} MB`;
const x = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '–' : `${value.toFixed(2)}×`;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export function machine() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

export const loadAverage = () => loadavg().map((load) => Math.round(load * 100) / 100);

function fullPassRows(phases: readonly FullPassResult[]): string {
  return table(
    [
      'phase',
      'wall',
      'table floor',
      'ratio',
      'Teams+Users writes',
      'bookkeeping',
      'table reads',
      'in Graph / bare Graph',
      'peak RSS',
    ],
    phases.map(({ title, measure, floors, ratio }) => {
      const t = measure.traffic;
      return [
        title,
        ms(measure.wallMs),
        `${ms(floors.tablesMs)} (${floors.tables})`,
        x(ratio),
        `${num(t.contractWrites)} in ${ms(t.contractMs)}${floors.writes === undefined ? '' : ` (bare ${ms(floors.writes.ms)})`}`,
        `${num(t.bookkeepingWrites)} / ${num(t.bookkeepingRequests)} req / ${ms(t.bookkeepingMs)}`,
        `${num(t.entitiesRead)} in ${ms(t.tableReadMs)}${floors.read === undefined ? '' : ` (bare ${ms(floors.read.ms)})`}`,
        `${ms(t.graphMs)} / ${ms(floors.graph.ms)} (${num(floors.graph.requests)} req)`,
        mb(measure.peakRssBytes),
      ];
    }),
  );
}

function deltaRows(phases: readonly DeltaRoundResult[]): string {
  return table(
    [
      'phase',
      'wall',
      'floor',
      'ratio',
      'cursors',
      'Graph req / floor',
      'synced groups',
      'Teams+Users reads',
      'Teams+Users writes',
      'bookkeeping',
      'peak RSS',
    ],
    phases.map(({ title, measure, floors, ratio }) => {
      const t = measure.traffic;
      const { record } = measure;
      return [
        title,
        ms(measure.wallMs),
        `${ms(floors.ms)} (${floors.what})`,
        x(ratio),
        num(record.cursors),
        `${num(record.graphRequests)} / ${num(floors.graph.requests)}`,
        num(record.syncedGroups.length),
        `${num(t.contractReads)} req, ${num(t.contractEntitiesRead)} entities, ${num(measure.partitionsRead)} partitions${floors.read === undefined ? '' : ` (bare ${num(floors.read.requests)} req in ${ms(floors.read.ms)})`}`,
        `${num(t.contractWrites)} in ${ms(t.contractMs)}${floors.writes === undefined ? '' : ` (bare ${ms(floors.writes.ms)})`}`,
        `${num(t.bookkeepingWrites)} / ${num(t.bookkeepingRequests)} req`,
        mb(measure.peakRssBytes),
      ];
    }),
  );
}

function signInRows(phases: readonly SignInsResult[]): string {
  return table(
    [
      'phase',
      'n',
      'p50 / floor',
      'p95 / floor',
      'p99 / floor',
      'max',
      'p99 ratio',
      'Graph req',
      'table reads / floor',
      'writes',
      'slowest: token / Graph / table reads (summed) / retry waits',
    ],
    phases.map(({ title, measure, floor, ratio }) => {
      const ours = measure.signIns.map((record) => record.ms);
      const n = Math.max(1, ours.length);
      const slowest = [...measure.signIns].sort((a, b) => b.ms - a.ms)[0];
      const reads = measure.signIns.reduce((sum, record) => sum + record.traffic.tableReads, 0) / n;
      const writes = measure.signIns.reduce((sum, record) => sum + record.tableWrites, 0) / n;
      return [
        title,
        num(ours.length),
        `${ms(percentile(ours, 50))} / ${ms(percentile(floor.latenciesMs, 50))}`,
        `${ms(percentile(ours, 95))} / ${ms(percentile(floor.latenciesMs, 95))}`,
        `${ms(percentile(ours, 99))} / ${ms(percentile(floor.latenciesMs, 99))}`,
        ms(Math.max(...ours)),
        x(ratio),
        num(measure.graphRequests / n, 2),
        `${num(reads, 1)} / ${num(floor.tableReads, 1)}`,
        num(writes, 2),
        slowest === undefined
          ? '–'
          : `${ms(slowest.ms)}: ${ms(slowest.tokenMs)} / ${ms(slowest.traffic.graphMs)} / ${ms(slowest.traffic.tableReadMs)} / ${ms(slowest.traffic.retryWaitMs)}`,
      ];
    }),
  );
}

export function printReport(phases: readonly PhaseResult[], checks: readonly Check[]): void {
  const passes = phases.filter((phase): phase is FullPassResult => phase.kind === 'full-pass');
  const rounds = phases.filter((phase): phase is SignInsResult => phase.kind === 'sign-ins');
  const deltas = phases.filter((phase): phase is DeltaRoundResult => phase.kind === 'delta-round');
  console.log('full passes (wall against the table floor; Graph beside its own floor):');
  console.log(fullPassRows(passes));
  if (deltas.length > 0) {
    console.log('\ndelta rounds (wall against the same work done bare):');
    console.log(deltaRows(deltas));
    for (const { title, start } of deltas) {
      if (start === undefined) continue;
      console.log(
        `  before "${title}": the round that started ${num(start.record.cursorsStarted)} cursors took ${ms(start.wallMs)}, ${num(start.record.graphRequests)} Graph requests`,
      );
    }
  }
  if (rounds.length > 0) {
    console.log(
      '\nsign-ins (token check + sync, against the same token check, $batch and reads done bare):',
    );
    console.log(signInRows(rounds));
  }
  const latencies = phases.filter((phase): phase is LatencyResult => phase.kind === 'latency');
  if (latencies.length > 0) {
    console.log(
      '\nchange-to-table latency (tenant change → notification → webhook → queue → worker → both rows):',
    );
    console.log(latencyRows(latencies));
  }
  console.log('\nchecks:');
  for (const { name, ok, detail } of checks)
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name} (${detail})`);
}

/** The JSON: raw figures per phase (latency lists summarised) and every `<phase>Ratio`. */
export function reportJson(
  base: Record<string, unknown>,
  phases: readonly PhaseResult[],
  checks: readonly Check[],
) {
  const ratios: Record<string, number> = {};
  for (const phase of phases) Object.assign(ratios, phase.ratios);
  return {
    ...base,
    ratios,
    phases: phases.map((phase) => {
      if (phase.kind !== 'sign-ins') return phase;
      const ours = phase.measure.signIns.map((record) => record.ms);
      const summary = (values: readonly number[]) => ({
        p50: percentile(values, 50),
        p95: percentile(values, 95),
        p99: percentile(values, 99),
        max: Math.max(...values),
      });
      const { signIns, ...measure } = phase.measure;
      return {
        ...phase,
        measure: {
          ...measure,
          latency: summary(ours),
          slowest: [...signIns].sort((a, b) => b.ms - a.ms).slice(0, 3),
        },
        floor: { latency: summary(phase.floor.latenciesMs), tableReads: phase.floor.tableReads },
      };
    }),
    checks,
  };
}
