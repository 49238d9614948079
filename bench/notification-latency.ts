/**
 * Change-to-table latency through change notifications, over the real path: a membership changed
 * in the simulated tenant, the tenant's notification, the webhook, the group-sync queue (Azurite),
 * the worker, both partitions of the tables. Each latency runs from just before the change to the
 * moment a read finds both rows (the Teams member row and the Users mirror) as Entra now says.
 * Single changes go one at a time (an add, then its removal); the burst is 100 adds at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startAzuriteQueue } from '../dev/azurite-queue.js';
import { createPrng } from '../dev/tenant/generate.js';
import type { NotificationCounters } from '../dev/tenant/feed-counters.js';
import { loadSettings } from '../shared/config/settings.js';
import { createServices } from '../shared/services.js';
import type { NotificationCounts, Repository } from '../shared/store/index.js';
import type { BenchContext } from './context.js';
import type { FromNotificationHost, ToNotificationHost } from './notification-host.js';
import { percentile, type Phase } from './phases.js';
import { ms, num, table, type Check } from './report.js';
import { transitiveMembers } from './tenant.js';

export const BURST_SIZE = 100;
/** A change not in the tables by then counts as lost (the check fails). */
const GIVE_UP_MS = 60_000;
const POLL_MS = 20;

export interface LatencyResult {
  readonly kind: 'latency';
  readonly name: string;
  readonly title: string;
  readonly measure: {
    /** Each single change's latency, in the order made (adds and removals alternate). */
    readonly singleMs: readonly number[];
    /** Each burst change's latency. */
    readonly burstMs: readonly number[];
    /** Changes never seen in the tables within a minute. */
    readonly lost: number;
    readonly burstWallMs: number;
    /** p50 and max of one round of reads looking for the rows (every 20 ms). */
    readonly readRoundMs: { readonly p50: number; readonly max: number };
    readonly webhook: NotificationCounts;
    readonly tenant: NotificationCounters;
    readonly hostErrors: readonly string[];
  };
  readonly ratio: number;
  readonly ratios: Record<string, number>;
}

interface Change {
  readonly groupId: string;
  readonly userId: string;
  readonly add: boolean;
}

/** Enabled users not in each assigned group (transitively), paired at random without repeats. */
function pickChanges(context: BenchContext, count: number, salt: string): Change[] {
  const state = context.sim.admin.getState();
  const enabled = state.users.filter((user) => user.accountEnabled).map((user) => user.id);
  const members = transitiveMembers(state);
  const groups = [...members.keys()].sort();
  const rand = createPrng(`${context.options.seed}/notifications/${salt}`);
  const taken = new Set<string>();
  const changes: Change[] = [];
  for (let tries = 0; changes.length < count && tries < count * 100; tries++) {
    const groupId = groups[Math.floor(rand() * groups.length)] ?? '';
    const userId = enabled[Math.floor(rand() * enabled.length)] ?? '';
    const key = `${groupId}/${userId}`;
    if (taken.has(key) || members.get(groupId)?.has(userId) === true) continue;
    taken.add(key);
    changes.push({ groupId, userId, add: true });
  }
  return changes;
}

/** How long the reads that look for the rows took, each round: the latencies' resolution. */
const readRounds: number[] = [];

/** Waits until every change shows on both sides; answers each one's latency (NaN when lost). */
async function timeToTables(
  repository: Repository,
  changes: readonly Change[],
  startedAt: number,
): Promise<number[]> {
  const latencies = changes.map(() => Number.NaN);
  let pending = changes.map((_, index) => index);
  while (pending.length > 0 && performance.now() - startedAt < GIVE_UP_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const roundStart = performance.now();
    const userSide = await Promise.all(
      pending.map(async (index) => {
        const change = changes[index];
        if (change === undefined) return false;
        const linked = (await repository.readUser(change.userId)).teams.get(change.groupId);
        return (linked?.source === 'entra') === change.add;
      }),
    );
    const teams = new Map<string, Promise<Set<string>>>();
    const teamMembers = (teamId: string) => {
      let read = teams.get(teamId);
      if (read === undefined) {
        read = repository
          .readTeam(teamId)
          .then(
            (team) =>
              new Set(
                [...team.members.values()]
                  .filter((member) => member.source === 'entra')
                  .map((member) => member.userId),
              ),
          );
        teams.set(teamId, read);
      }
      return read;
    };
    const done = await Promise.all(
      pending.map(async (index, position) => {
        const change = changes[index];
        if (change === undefined || userSide[position] !== true) return false;
        return (await teamMembers(change.groupId)).has(change.userId) === change.add;
      }),
    );
    const now = performance.now();
    readRounds.push(now - roundStart);
    pending = pending.filter((index, position) => {
      if (done[position] !== true) return true;
      latencies[index] = now - startedAt;
      return false;
    });
  }
  return latencies;
}

function startHost(caPath: string | undefined): ChildProcess {
  return fork(fileURLToPath(new URL('./notification-host.js', import.meta.url)), [], {
    env: { ...process.env, ...(caPath === undefined ? {} : { NODE_EXTRA_CA_CERTS: caPath }) },
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function ask(child: ChildProcess, message: ToNotificationHost): Promise<FromNotificationHost> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      reject(new Error(`the notification host exited (${String(code)})`));
    };
    child.once('exit', onExit);
    child.once('message', (answer: FromNotificationHost) => {
      child.off('exit', onExit);
      if (answer.kind === 'failed') reject(new Error(`notification host: ${answer.error}`));
      else resolve(answer);
    });
    child.send(message);
  });
}

async function measure(context: BenchContext, singles: number): Promise<LatencyResult['measure']> {
  const queues = await startAzuriteQueue();
  const child = startHost(context.sim.caPath);
  try {
    const env = { ...context.env, QUEUES_CONNECTION_STRING: queues.connectionString };
    await ask(child, { kind: 'start', env });
    const { repository } = createServices(loadSettings(env));
    context.sim.resetCounters();
    const admin = context.sim.admin;

    readRounds.length = 0;
    const singleMs: number[] = [];
    for (const change of pickChanges(context, Math.ceil(singles / 2), 'single')) {
      for (const add of [true, false]) {
        const startedAt = performance.now();
        if (add) admin.addMember(change.groupId, change.userId);
        else admin.removeMember(change.groupId, change.userId);
        singleMs.push(...(await timeToTables(repository, [{ ...change, add }], startedAt)));
      }
    }

    const burst = pickChanges(context, BURST_SIZE, 'burst');
    const burstStart = performance.now();
    for (const change of burst) admin.addMember(change.groupId, change.userId);
    const burstMs = await timeToTables(repository, burst, burstStart);
    const burstWallMs = performance.now() - burstStart;

    const stopped = await ask(child, { kind: 'stop' });
    const lost = [...singleMs, ...burstMs].filter(Number.isNaN).length;
    return {
      singleMs,
      burstMs,
      lost,
      burstWallMs,
      readRoundMs: { p50: percentile(readRounds, 50), max: Math.max(...readRounds) },
      webhook: stopped.kind === 'stopped' ? stopped.counts : ({} as NotificationCounts),
      tenant: context.sim.counters().notifications,
      hostErrors: stopped.kind === 'stopped' ? stopped.errors : [],
    };
  } finally {
    if (child.exitCode === null) child.kill();
    await queues.stop();
  }
}

/** The phase: 30 single changes (XS: 10), then a burst of 100. */
export function notificationLatency(name: string, title: string): Phase {
  return {
    name,
    title,
    async run(context) {
      const singles = context.options.size === 'XS' ? 10 : 30;
      const result = await measure(context, singles);
      const seen = (values: readonly number[]) => values.filter((value) => !Number.isNaN(value));
      const p = (values: readonly number[], at: number) => Math.round(percentile(seen(values), at));
      return {
        kind: 'latency',
        name,
        title,
        measure: result,
        // Burst p99 against single p99: what a burst of 100 costs each change.
        ratio: p(result.burstMs, 99) / Math.max(1, p(result.singleMs, 99)),
        ratios: {
          [`${name}SingleP50Ms`]: p(result.singleMs, 50),
          [`${name}SingleP99Ms`]: p(result.singleMs, 99),
          [`${name}BurstP50Ms`]: p(result.burstMs, 50),
          [`${name}BurstP99Ms`]: p(result.burstMs, 99),
        },
      };
    },
  };
}

export function latencyChecks(result: LatencyResult): Check[] {
  const { measure: m } = result;
  return [
    {
      name: 'every notified change reaches both partitions',
      ok: m.lost === 0 && m.hostErrors.length === 0,
      detail: `${m.lost} of ${m.singleMs.length + m.burstMs.length} not seen within ${ms(GIVE_UP_MS)}; ${m.hostErrors.length} host errors${m.hostErrors.length > 0 ? `: ${m.hostErrors.slice(0, 3).join(' | ')}` : ''}`,
    },
    {
      name: 'no notification forged, dropped or abandoned on the way',
      ok: m.webhook.forged === 0 && m.tenant.abandoned === 0 && m.tenant.dropped === 0,
      detail: `forged ${m.webhook.forged}, tenant dropped ${m.tenant.dropped}, abandoned ${m.tenant.abandoned}`,
    },
  ];
}

export function latencyRows(results: readonly LatencyResult[]): string {
  const stats = (values: readonly number[]) => {
    const seen = values.filter((value) => !Number.isNaN(value));
    return [
      num(seen.length),
      ms(percentile(seen, 50)),
      ms(percentile(seen, 99)),
      ms(Math.max(...seen)),
    ];
  };
  return table(
    [
      'changes',
      'n',
      'p50',
      'p99',
      'max',
      'tenant POSTs',
      'group syncs / coalesced',
      'read round p50 / max',
    ],
    results.flatMap(({ measure: m }) => [
      ['single (one at a time)', ...stats(m.singleMs), '', '', ''],
      [
        `burst of ${m.burstMs.length} (all in ${ms(m.burstWallMs)})`,
        ...stats(m.burstMs),
        num(m.tenant.delivered),
        `${num(m.webhook.groupsSynced)} / ${num(m.webhook.groupsCoalesced)}`,
        `${ms(m.readRoundMs.p50)} / ${ms(m.readRoundMs.max)}`,
      ],
    ]),
  );
}
