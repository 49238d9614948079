/**
 * The benchmark's smallest size, end to end: every phase runs beside its floor, every check
 * passes and every ratio is in the JSON (the notification latencies too). A smoke test of the harness, not a measurement.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BENCH = fileURLToPath(new URL('../../dist/bench/reconcile.js', import.meta.url));

describe('npm run bench -- --size XS', () => {
  it('runs every phase with its floor and writes every ratio', { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-'));
    try {
      const out = join(dir, 'xs.json');
      await promisify(execFile)(
        process.execPath,
        [BENCH, '--size', 'XS', '--signins', '20', '--out', out],
        {
          timeout: 230_000,
        },
      );
      const report = JSON.parse(await readFile(out, 'utf8')) as {
        ratios: Record<string, number>;
        checks: { ok: boolean; name: string }[];
        phases: { name: string; kind: string }[];
        loadAverage: { start: number[] };
      };
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      const phases = [
        'firstRun',
        'firstSignIns',
        'unchanged',
        'unchangedSignIns',
        'unchangedDelta',
        'unchangedDeltaSignIns',
        'changeDelta',
        'changeDeltaSignIns',
        'change',
        'changeSignIns',
        'notificationLatency',
      ];
      expect(report.phases.map((phase) => phase.name)).toEqual(phases);
      for (const name of phases.filter((phase) => phase !== 'notificationLatency')) {
        expect(report.ratios[`${name}Ratio`]).toBeGreaterThan(0);
      }
      for (const name of ['SingleP50Ms', 'SingleP99Ms', 'BurstP50Ms', 'BurstP99Ms']) {
        expect(report.ratios[`notificationLatency${name}`]).toBeGreaterThan(0);
      }
      // The delta phases' own checks ran (and passed, above): nothing read or written by an
      // unchanged round, one Graph request per cursor; exactly the changed pairs written.
      const names = report.checks.map((check) => check.name);
      expect(names.filter((name) => name.includes('delta round'))).toEqual([
        'an unchanged delta round reads no Teams/Users rows, writes none, and sends one Graph request per cursor',
        'sign-ins after the unchanged delta round: no errors, at most 2 Graph requests each',
        "sign-ins after the unchanged delta round: a reconciled user's sign-in writes only lastSignInAt",
        'one delta round writes exactly the changed pairs, both sides (guard set above it)',
      ]);
      expect(report.loadAverage.start).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
