/**
 * Benchmark of the fanned-out full pass (docs/scaling.md, "The fan-out"): the generated tenant
 * of a bench size, in-memory Azurite (tables and queue) and the simulated tenant with Graph's
 * throttling, and the pass fanned out over `group-sync` with each message worked by a process of
 * its own, as many at once as `--instances` (a Flex Consumption instance per share), so that the
 * peak RSS of every share is its own.
 *
 *   npm run bench:fan-out -- --size XS|S|M|L [--groups N] [--instances N] [--share-groups N]
 *                            [--first-run-only] [--out FILE] [--max-minutes N]
 *
 * `--groups N` keeps the size's users and members per group over N assigned groups: at L,
 * `--groups 400` is two shares of L's shape (a slice), which this machine can finish.
 *
 * Phases: the first run, then (unless --first-run-only) an unchanged pass. Not a test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../dev/azurite.js';
import { startAzuriteQueue, type RunningAzuriteQueue } from '../dev/azurite-queue.js';
import { ensureDevCertificate } from '../dev/tenant/certificate.js';
import { startSimulatedTenant, type SimulatedTenant } from '../dev/tenant/server.js';
import { loadSettings } from '../shared/config/settings.js';
import { workGroupSyncMessage } from '../shared/notifications/index.js';
import { GROUP_SYNC_QUEUE } from '../shared/queue/index.js';
import { createServices } from '../shared/services.js';
import { reconcile } from '../shared/sync/reconcile.js';
import type { RunRecord } from '../shared/sync/run-records.js';
import { loadAverage, machine, ms, num, table } from './report.js';
import { SIZES, type SizeName } from './sizes.js';
import { benchTenant, countMemberships, transitiveMembers, unionOf } from './tenant.js';
import { percentile } from './phases.js';

type ChildRequest =
  | { readonly op: 'coordinate'; readonly env: Record<string, string> }
  | { readonly op: 'message'; readonly env: Record<string, string>; readonly text: string };

interface ChildReply {
  readonly ok: boolean;
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly record?: RunRecord;
  readonly kind?: string;
  readonly error?: string;
}

interface MessageMeasure {
  readonly kind: string;
  readonly ms: number;
  readonly peakRssBytes: number;
}

interface PassMeasure {
  readonly name: string;
  readonly wallMs: number;
  readonly record: RunRecord | undefined;
  readonly coordinator: { readonly ms: number; readonly peakRssBytes: number };
  readonly messages: readonly MessageMeasure[];
}

const MB = 1024 * 1024;

/** In the child: one request, then exit; `maxRSS` is this process's peak resident set. */
async function child(request: ChildRequest): Promise<ChildReply> {
  const services = createServices(loadSettings(request.env));
  const started = performance.now();
  const peak = () => process.resourceUsage().maxRSS * 1024;
  if (request.op === 'coordinate') {
    const { record } = await reconcile(services, { trigger: 'cli' });
    return { ok: true, ms: performance.now() - started, peakRssBytes: peak(), record };
  }
  const decoded: unknown = JSON.parse(Buffer.from(request.text, 'base64').toString('utf8'));
  const kind =
    typeof decoded === 'object' && decoded !== null && 'phase' in decoded
      ? `share ${String(decoded.phase)}`
      : 'other';
  await workGroupSyncMessage(decoded, services, {
    info: () => undefined,
    warn: (line) => {
      console.error(line);
    },
  });
  return { ok: true, ms: performance.now() - started, peakRssBytes: peak(), kind };
}

function runChild(request: ChildRequest, caPath: string): Promise<ChildReply> {
  return new Promise((resolve, reject) => {
    const process_: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    process_.once('message', (reply) => {
      resolve(reply as ChildReply);
    });
    process_.once('error', reject);
    process_.once('exit', (code) => {
      if (code !== 0) reject(new Error(`child exited with ${String(code)}`));
    });
    process_.send(request);
  });
}

/** One fanned-out pass: the coordinator, then every message, `instances` at once. */
async function pass(
  name: string,
  env: Record<string, string>,
  queueConnection: string,
  instances: number,
  caPath: string,
): Promise<PassMeasure> {
  const started = performance.now();
  const coordinator = await runChild({ op: 'coordinate', env }, caPath);
  const runId = coordinator.record?.runId ?? '';
  const queue = new QueueClient(queueConnection, GROUP_SYNC_QUEUE);
  const repository = createServices(loadSettings(env)).repository;
  const messages: MessageMeasure[] = [];
  let inFlight = 0;
  let failure: Error | undefined;
  const work = async (item: { messageId: string; popReceipt: string; messageText: string }) => {
    try {
      const reply = await runChild({ op: 'message', env, text: item.messageText }, caPath);
      if (!reply.ok) throw new Error(reply.error);
      messages.push({ kind: reply.kind ?? '', ms: reply.ms, peakRssBytes: reply.peakRssBytes });
      await queue.deleteMessage(item.messageId, item.popReceipt);
      process.stderr.write(
        `\r  ${name}: ${messages.length} messages worked, last ${ms(reply.ms)}, ${num(reply.peakRssBytes / MB)} MB   `,
      );
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      inFlight -= 1;
    }
  };
  for (;;) {
    if (failure !== undefined) throw failure;
    if (inFlight < instances) {
      const { receivedMessageItems } = await queue.receiveMessages({
        numberOfMessages: instances - inFlight,
        visibilityTimeout: 3600,
      });
      for (const item of receivedMessageItems) {
        inFlight += 1;
        void work(item);
      }
      if (receivedMessageItems.length === 0 && inFlight === 0) {
        const record = await repository.findRun(runId);
        if (record?.outcome !== 'running') {
          process.stderr.write('\n');
          return {
            name,
            wallMs: performance.now() - started,
            record,
            coordinator: { ms: coordinator.ms, peakRssBytes: coordinator.peakRssBytes },
            messages,
          };
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function report(passes: readonly PassMeasure[]): string {
  const rows = passes.map((measured) => {
    const shares = measured.messages.filter((message) => message.kind.startsWith('share'));
    const rss = shares.map((message) => message.peakRssBytes / MB);
    const times = shares.map((message) => message.ms);
    const summary = measured.record?.summary;
    return [
      measured.name,
      measured.record?.outcome ?? '?',
      ms(measured.wallMs),
      `${shares.filter((m) => m.kind === 'share plan').length} + ${shares.filter((m) => m.kind === 'share apply').length}`,
      `${num(percentile(rss, 50))} / ${num(Math.max(...rss))} MB`,
      `${ms(percentile(times, 50))} / ${ms(Math.max(...times))}`,
      `${num(measured.coordinator.peakRssBytes / MB)} MB`,
      num(summary?.tableWrites ?? 0),
      num(summary?.graphRequests ?? 0),
    ];
  });
  return table(
    [
      'pass',
      'outcome',
      'wall',
      'plans + applies',
      'share peak RSS p50 / max',
      'share time p50 / max',
      'coordinator RSS',
      'table writes',
      'Graph requests',
    ],
    rows,
  );
}

async function launcher(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      size: { type: 'string' },
      seed: { type: 'string' },
      groups: { type: 'string' },
      instances: { type: 'string' },
      'share-groups': { type: 'string' },
      'first-run-only': { type: 'boolean' },
      out: { type: 'string' },
      'max-minutes': { type: 'string' },
    },
    strict: true,
  });
  const sizeName = (values.size ?? 'S').toUpperCase() as SizeName;
  // `--groups N`: the size's users and group sizes over N assigned groups (a slice of it).
  const size = {
    ...SIZES[sizeName],
    ...(values.groups === undefined ? {} : { groups: Number(values.groups) }),
  };
  const instances = Number(values.instances ?? '2');
  const shareGroups = values['share-groups'] ?? '200';
  const maxMinutes = Number(values['max-minutes'] ?? '60');
  const guard = setTimeout(() => {
    console.error(`bench:fan-out: stopped after ${maxMinutes} minutes`);
    process.exit(2);
  }, maxMinutes * 60_000);
  guard.unref();
  const startedAt = Date.now();
  const loadAtStart = loadAverage();
  let azurite: RunningAzurite | undefined;
  let queue: RunningAzuriteQueue | undefined;
  let sim: SimulatedTenant | undefined;
  try {
    const certificate = await ensureDevCertificate();
    // The same tenant as `npm run bench` for this size and seed.
    const generated = benchTenant(size, values.seed ?? 'bench');
    azurite = await startAzurite();
    queue = await startAzuriteQueue();
    sim = await startSimulatedTenant({ tenant: generated, port: 0, certificate, throttling: true });
    const members = transitiveMembers(sim.admin.getState());
    const tenant = { memberships: countMemberships(members), members: unionOf(members).size };
    console.log(`machine: ${JSON.stringify(machine())}; load average ${loadAtStart.join(' ')}`);
    console.log(
      `size ${sizeName}: ${num(size.users)} users, ${num(size.groups)} assigned groups, ` +
        `${num(tenant.memberships)} transitive memberships of ${num(tenant.members)} users; ` +
        `shares of ${shareGroups} groups, ${instances} at once\n`,
    );
    const env: Record<string, string> = {
      ...sim.env,
      TABLES_CONNECTION_STRING: azurite.connectionString,
      QUEUES_CONNECTION_STRING: queue.connectionString,
      TABLE_PREFIX: 'BenchFanOut',
      FULL_PASS_FAN_OUT_GROUPS: '0',
      FULL_PASS_SHARE_GROUPS: shareGroups,
    };
    const passes = [
      await pass('first run', env, queue.connectionString, instances, certificate.caPath),
    ];
    if (values['first-run-only'] !== true) {
      passes.push(
        await pass('unchanged', env, queue.connectionString, instances, certificate.caPath),
      );
    }
    console.log(report(passes));
    const expected = size.groups + tenant.members + 2 * tenant.memberships;
    const first = passes[0]?.record;
    const ok =
      first?.outcome === 'succeeded' &&
      first.summary?.tableWrites === expected &&
      (passes[1] === undefined || passes[1].record?.summary?.tableWrites === 0);
    console.log(
      `\ncheck: first run wrote ${num(first?.summary?.tableWrites ?? 0)} of ${num(expected)} entities` +
        `${passes[1] === undefined ? '' : `, unchanged pass ${num(passes[1].record?.summary?.tableWrites ?? 0)}`}: ${ok ? 'ok' : 'FAILED'}`,
    );
    console.log(
      `bench:fan-out: ${ms(Date.now() - startedAt)} in all; load average at the end ${loadAverage().join(' ')}`,
    );
    if (values.out !== undefined) {
      const json = {
        machine: machine(),
        loadAverage: { start: loadAtStart, end: loadAverage() },
        size: sizeName,
        tenant,
        instances,
        shareGroups: Number(shareGroups),
        passes,
        ok,
      };
      await writeFile(values.out, `${JSON.stringify(json, null, 2)}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    clearTimeout(guard);
    await sim?.stop().catch(() => undefined);
    await queue?.stop().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
  }
}

if (process.argv.includes('--child')) {
  process.once('message', (request) => {
    child(request as ChildRequest).then(
      (reply) => process.send?.(reply, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          {
            ok: false,
            ms: 0,
            peakRssBytes: 0,
            error: error instanceof Error ? error.message : String(error),
          } satisfies ChildReply,
          () => process.exit(0),
        ),
    );
  });
} else {
  try {
    process.exitCode = await launcher(process.argv.slice(2));
  } catch (error) {
    console.error(`bench:fan-out: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
