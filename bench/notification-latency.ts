/**
 * Change-to-table latency through change notifications, over the real path: a membership changed
 * in the simulated tenant, the tenant's notification, the webhook, the group-sync queue (Azurite),
 * the worker, both partitions of the tables. Each latency runs from just before the change to the
 * end of the worker's run that wrote it (both rows are written before the run record). Single
 * changes go one at a time (an add, then its removal); the burst is 100 adds at once. Afterwards
 * every change is checked in both partitions.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
const POLL_MS = 100;

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
    /** Changes not in both partitions afterwards (the Teams member row and the Users mirror). */
    readonly wrongInTables: number;
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

/**
 * When each change was in the tables: the `endedAt` of the notification run whose audit entries
 * name it (a run record is written after its rows, so both rows were visible by then). Reading
 * the run list and each new run's audit once costs the emulator far less than polling two
 * partitions per change, which would slow down the path it measures.
 */
class RunWatch {
  private readonly seenRuns = new Set<string>();
  private readonly doneAt = new Map<string, number>();

  constructor(private readonly repository: Repository) {}

  static key(change: Change): string {
    return `${change.add ? 'membership-added' : 'membership-removed'}/${change.groupId}/${change.userId}`;
  }

  async refresh(): Promise<void> {
    for (const run of await this.repository.recentRuns(100)) {
      if (run.trigger !== 'notification' || run.endedAt === undefined) continue;
      if (this.seenRuns.has(run.runId)) continue;
      this.seenRuns.add(run.runId);
      const endedAt = Date.parse(run.endedAt);
      for (const entry of await this.repository.runAudit(run.runId)) {
        if (entry.outcome !== 'applied') continue;
        const key = `${entry.kind}/${entry.teamId ?? ''}/${entry.userId ?? ''}`;
        const known = this.doneAt.get(key);
        if (known === undefined || endedAt < known) this.doneAt.set(key, endedAt);
      }
    }
  }

  /** Epoch ms at which the change was in the tables, if it was. */
  doneTime(change: Change, notBefore: number): number | undefined {
    const at = this.doneAt.get(RunWatch.key(change));
    return at !== undefined && at >= notBefore ? at : undefined;
  }
}

/** Waits until every change is in a finished run; answers each one's latency (NaN when lost). */
async function timeToTables(
  watch: RunWatch,
  changes: readonly Change[],
  startedAt: number,
): Promise<number[]> {
  const latencies = changes.map(() => Number.NaN);
  let pending = changes.map((_, index) => index);
  while (pending.length > 0 && Date.now() - startedAt < GIVE_UP_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    await watch.refresh();
    pending = pending.filter((index) => {
      const change = changes[index];
      const at = change === undefined ? undefined : watch.doneTime(change, startedAt);
      if (at === undefined) return true;
      latencies[index] = at - startedAt;
      return false;
    });
  }
  return latencies;
}

/** After the timing: each change as both partitions have it now (the Teams member row and the Users mirror). */
async function notInBothPartitions(
  repository: Repository,
  changes: readonly Change[],
): Promise<number> {
  let wrong = 0;
  for (const change of changes) {
    const [user, team] = await Promise.all([
      repository.readUser(change.userId),
      repository.readTeam(change.groupId),
    ]);
    const linked = user.teams.get(change.groupId)?.source === 'entra';
    const member = team.members.get(change.userId)?.source === 'entra';
    if (linked !== change.add || member !== change.add) wrong += 1;
  }
  return wrong;
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
  const child = startHost(context.sim.caPath);
  try {
    await ask(child, { kind: 'start', env: context.env });
    const { repository } = createServices(loadSettings(context.env));
    const watch = new RunWatch(repository);
    context.sim.resetCounters();
    const admin = context.sim.admin;

    const singleMs: number[] = [];
    const last: Change[] = [];
    for (const change of pickChanges(context, Math.ceil(singles / 2), 'single')) {
      for (const add of [true, false]) {
        const startedAt = Date.now();
        if (add) admin.addMember(change.groupId, change.userId);
        else admin.removeMember(change.groupId, change.userId);
        singleMs.push(...(await timeToTables(watch, [{ ...change, add }], startedAt)));
      }
      last.push({ ...change, add: false });
    }

    const burst = pickChanges(context, BURST_SIZE, 'burst');
    const burstStart = Date.now();
    for (const change of burst) admin.addMember(change.groupId, change.userId);
    const burstMs = await timeToTables(watch, burst, burstStart);
    const burstWallMs = Date.now() - burstStart;

    const stopped = await ask(child, { kind: 'stop' });
    const lost = [...singleMs, ...burstMs].filter(Number.isNaN).length;
    return {
      singleMs,
      burstMs,
      lost,
      wrongInTables: await notInBothPartitions(repository, [...last, ...burst]),
      burstWallMs,
      webhook: stopped.kind === 'stopped' ? stopped.counts : ({} as NotificationCounts),
      tenant: context.sim.counters().notifications,
      hostErrors: stopped.kind === 'stopped' ? stopped.errors : [],
    };
  } finally {
    if (child.exitCode === null) child.kill();
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
      ok: m.lost === 0 && m.wrongInTables === 0 && m.hostErrors.length === 0,
      detail: `${m.lost} of ${m.singleMs.length + m.burstMs.length} not synced within ${ms(GIVE_UP_MS)}, ${m.wrongInTables} wrong in the tables afterwards; ${m.hostErrors.length} host errors${m.hostErrors.length > 0 ? `: ${m.hostErrors.slice(0, 3).join(' | ')}` : ''}`,
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
      ms(seen.length === 0 ? Number.NaN : Math.max(...seen)),
    ];
  };
  return table(
    [
      'changes',
      'n',
      'p50',
      'p99',
      'max',
      'POSTs delivered / attempted (all)',
      'group syncs / coalesced',
    ],
    results.flatMap(({ measure: m }) => [
      ['single (one at a time)', ...stats(m.singleMs), '', ''],
      [
        `burst of ${m.burstMs.length} (all in ${ms(m.burstWallMs)})`,
        ...stats(m.burstMs),
        `${num(m.tenant.delivered)} / ${num(m.tenant.posts)}`,
        `${num(m.webhook.groupsSynced)} / ${num(m.webhook.groupsCoalesced)}`,
      ],
    ]),
  );
}
