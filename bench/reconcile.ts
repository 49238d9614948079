/**
 * Benchmark: the full pass, delta rounds and sign-ins against a generated tenant on loopback,
 * every figure beside a floor measured in the same run.
 *
 *   npm run bench -- --size XS|S|M|L [--out FILE] [--signins N] [--concurrency N] ...
 *
 * The launcher makes the development certificate, starts an in-memory Azurite and the simulated
 * tenant (Graph's resource-unit throttling on) and forks two workers with NODE_EXTRA_CA_CERTS
 * set: one runs only the service's code, the other the same work bare (the floors). It runs the
 * phases of phases.ts in order, checks what each wrote, and prints and writes the figures. A
 * benchmark measures: it is not a test (the XS run is, as a smoke test). See
 * docs/performance.md.
 */
import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startAzurite, type RunningAzurite } from '../dev/azurite.js';
import { ensureDevCertificate } from '../dev/tenant/certificate.js';
import { defaultBudgetLimit } from '../dev/tenant/resource-budget.js';
import { startSimulatedTenant, type SimulatedTenant } from '../dev/tenant/server.js';
import { BenchContext } from './context.js';
import { WorkerHandle } from './ipc.js';
import { latencyChecks } from './notification-latency.js';
import { DELTA_PHASES, PHASES, type PhaseResult } from './phases.js';
import { loadAverage, machine, ms, num, printReport, reportJson, type Check } from './report.js';
import { parseOptions, USAGE, type BenchOptions } from './sizes.js';
import { benchTenant, countMemberships, transitiveMembers, unionOf } from './tenant.js';
import { runWorker } from './worker.js';

function checksOf(
  context: BenchContext,
  phases: readonly PhaseResult[],
  tenant: { memberships: number; members: number },
): Check[] {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  for (const phase of phases) {
    if (phase.kind === 'full-pass') {
      const summary = phase.measure.summary;
      if (phase.name === 'firstRun') {
        const expected = context.options.tenant.groups + tenant.members + 2 * tenant.memberships;
        check(
          'first run writes every team, user and both sides of every membership',
          phase.measure.outcome === 'succeeded' && summary?.tableWrites === expected,
          `${phase.measure.outcome}, tableWrites ${String(summary?.tableWrites)}, expected ${expected}`,
        );
      }
      if (phase.name === 'unchanged') {
        check(
          'an unchanged pass writes nothing to Teams, Users or the audit log',
          summary?.tableWrites === 0 && phase.measure.traffic.bookkeepingWrites <= 5,
          `tableWrites ${String(summary?.tableWrites)}, bookkeeping ${phase.measure.traffic.bookkeepingWrites} (run record twice; lease taken, renewed, released; no audit)`,
        );
      }
      if (phase.name === 'change') {
        const { additions = 0, removals = 0, newUsers = 0 } = context.expect;
        const expected = 2 * (additions + removals) + newUsers;
        check(
          'the change, and only it, is written (guard set above it)',
          phase.measure.outcome === 'succeeded' &&
            summary?.membershipsAdded === additions &&
            summary.membershipsRemoved === removals &&
            summary.tableWrites === expected,
          `${phase.measure.outcome}, +${String(summary?.membershipsAdded)}/${additions} −${String(summary?.membershipsRemoved)}/${removals}, tableWrites ${String(summary?.tableWrites)}/${expected}`,
        );
      }
    }
    if (phase.kind === 'latency') checks.push(...latencyChecks(phase));
    if (phase.kind === 'delta-round') {
      const { record, traffic } = phase.measure;
      if (phase.name === 'unchangedDelta') {
        check(
          'an unchanged delta round reads no Teams/Users rows, writes none, and sends one Graph request per cursor',
          record.outcome === 'unchanged' &&
            traffic.contractReads === 0 &&
            traffic.contractWrites === 0 &&
            record.tableWrites === 0 &&
            record.cursors > 0 &&
            record.graphRequests === record.cursors,
          `${record.outcome}, ${traffic.contractReads} Teams/Users reads, ${traffic.contractWrites} writes, ${record.graphRequests} Graph requests for ${record.cursors} cursors`,
        );
      }
      if (phase.name === 'changeDelta') {
        const pairs = phase.pairs;
        const { added: additions = 0, removed: removals = 0, newUsers = 0 } = pairs?.expected ?? {};
        check(
          'one delta round writes exactly the changed pairs, both sides (guard set above it)',
          record.outcome === 'synced' &&
            pairs?.exact === true &&
            record.tableWrites === 2 * (additions + removals) + newUsers,
          `${record.outcome}, +${String(pairs?.added)}/${additions} −${String(pairs?.removed)}/${removals}, other writes ${String(pairs?.newUsers)}/${newUsers} new users, tableWrites ${record.tableWrites}`,
        );
      }
    }
    if (phase.kind === 'sign-ins') {
      const { measure } = phase;
      const n = Math.max(1, measure.signIns.length);
      const extra = measure.signIns.filter((record) => record.tableWrites !== 1).length;
      check(
        `${phase.title}: no errors, at most 2 Graph requests each`,
        measure.errors.length === 0 && measure.graphRequests / n <= 2,
        `${measure.errors.length} errors${measure.errors.length > 0 ? `: ${measure.errors.join(' | ')}` : ''}, ${num(measure.graphRequests / n, 2)} Graph requests each`,
      );
      check(
        `${phase.title}: a reconciled user's sign-in writes only lastSignInAt`,
        extra === 0,
        `${extra} sign-ins wrote other than 1 entity`,
      );
    }
  }
  return checks;
}

async function runLauncher(options: BenchOptions): Promise<number> {
  const startedAt = Date.now();
  const loadAtStart = loadAverage();
  const workers: WorkerHandle[] = [];
  let azurite: RunningAzurite | undefined;
  let sim: SimulatedTenant | undefined;
  const guard = setTimeout(() => {
    console.error(`bench: stopped after ${options.maxMinutes} minutes (--max-minutes)`);
    for (const worker of workers) worker.child.kill('SIGKILL');
    process.exit(2);
  }, options.maxMinutes * 60_000);
  guard.unref();
  try {
    const certificate = await ensureDevCertificate();
    const size = options.tenant;
    const generated = benchTenant(size, options.seed);
    azurite = await startAzurite();
    sim = await startSimulatedTenant({ tenant: generated, port: 0, certificate, throttling: true });
    const fork_ = () =>
      new WorkerHandle(
        fork(fileURLToPath(import.meta.url), ['--worker'], {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.caPath },
          execArgv: process.execArgv,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    const service = fork_();
    const floor = fork_();
    workers.push(service, floor);

    const members = transitiveMembers(sim.admin.getState());
    const tenant = { memberships: countMemberships(members), members: unionOf(members).size };
    console.log(`machine: ${JSON.stringify(machine())}; load average ${loadAtStart.join(' ')}`);
    console.log(
      `size ${options.size}: ${num(size.users)} users, ${num(size.groups)} assigned groups, ` +
        `${num(tenant.memberships)} transitive memberships of ${num(tenant.members)} users; ` +
        `Graph throttling ${num(defaultBudgetLimit(size.users))} RU per 10 s; in-memory Azurite; 127.0.0.1\n`,
    );
    const env: Record<string, string> = {
      ...sim.env,
      TABLES_CONNECTION_STRING: azurite.connectionString,
      TABLE_PREFIX: 'BenchMain',
      DEFAULT_TEAM_PARAMS: JSON.stringify({
        max_budget: 100,
        budget_duration: '30d',
        models: ['gpt-3.5-turbo'],
      }),
      DEFAULT_INTERNAL_USER_PARAMS: JSON.stringify({
        user_role: 'internal_user',
        max_budget: 10,
        models: [],
      }),
    };
    const context = new BenchContext(options, sim, env, service, floor);
    const results: PhaseResult[] = [];
    // Written after every phase too (`complete: false`), so a run stopped by --max-minutes
    // still leaves the phases it finished.
    const writeOut = async (checks: readonly Check[], complete: boolean) => {
      if (options.out === undefined) return;
      const json = reportJson(
        {
          machine: machine(),
          loadAverage: { start: loadAtStart, end: loadAverage() },
          size: options.size,
          options,
          tenant,
          durationMs: Date.now() - startedAt,
          complete,
        },
        results,
        checks,
      );
      await writeFile(options.out, `${JSON.stringify(json, null, 2)}\n`);
    };
    console.error('running:');
    if (options.deltaOnly) {
      const setup = await context.fullPass(false);
      console.error(`  first run (setup, no floor): ${ms(setup.wallMs)}, ${setup.outcome}`);
      context.seedFloorForReplay();
    }
    const phases = options.firstRunOnly
      ? PHASES.slice(0, 1)
      : options.deltaOnly
        ? DELTA_PHASES
        : PHASES;
    for (const phase of phases) {
      const begun = Date.now();
      const result = await phase.run(context);
      results.push(result);
      console.error(
        `  ${phase.title}: ${ms(Date.now() - begun)} with its floor, ratio ${result.ratio.toFixed(2)}×`,
      );
      await writeOut(checksOf(context, results, tenant), false);
    }
    const checks = checksOf(context, results, tenant);
    printReport(results, checks);
    const loadAtEnd = loadAverage();
    console.log(
      `\nbench: ${ms(Date.now() - startedAt)} in all; load average at the start ${loadAtStart.join(' ')}, at the end ${loadAtEnd.join(' ')}`,
    );
    await writeOut(checks, true);
    return checks.every((entry) => entry.ok) ? 0 : 1;
  } finally {
    clearTimeout(guard);
    for (const worker of workers) worker.stop();
    await sim?.stop().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
  }
}

if (process.argv.includes('--worker')) {
  runWorker();
} else {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options === 'help') console.log(USAGE);
    else process.exitCode = await runLauncher(options);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
