/**
 * Benchmark: reconciliation and sign-in sync against a generated tenant, on loopback.
 *
 *   npm run bench -- [--users 5000] [--groups 400] [--largest 3000] [--signins 200] ...
 *
 * The launcher (this process) makes the development certificate, starts an in-memory Azurite
 * and the simulated Entra tenant with Graph's resource-unit throttling on, and forks itself as
 * the measured worker with NODE_EXTRA_CA_CERTS set (Node reads it only at start). The worker
 * runs nothing but the service's code (`reconcile`, `syncSignedInUser`), so the emulators do not
 * share its event loop; the launcher drives the phases, changes the tenant, reads the tenant's
 * counters and prints the tables. A benchmark measures: it is not a test and is not run in CI.
 * It is bounded in time (`--max-minutes`, default 10) and talks only to 127.0.0.1.
 * See docs/benchmarks.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from '../dev/azurite.js';
import { ensureDevCertificate } from '../dev/tenant/certificate.js';
import { defaultBudgetLimit } from '../dev/tenant/resource-budget.js';
import { createPrng, generateTenant } from '../dev/tenant/generate.js';
import type { ParsedTenantData } from '../dev/tenant/model.js';
import {
  startSimulatedTenant,
  type SimulatedTenant,
  type TenantCounters,
} from '../dev/tenant/server.js';
import { loadSettings } from '../shared/config/settings.js';
import { createDirectoryReader, type DirectoryReader } from '../shared/graph/index.js';
import { createServices, type Services } from '../shared/services.js';
import { createRepository, tableClientFactory } from '../shared/store/index.js';
import {
  Tables,
  type ApplyReport,
  type EntityPage,
  type TableWrite,
} from '../shared/store/tables.js';
import { reconcile } from '../shared/sync/reconcile.js';
import type { RunSummary } from '../shared/sync/run-records.js';
import { syncSignedInUser } from '../shared/sync/sign-in.js';

// ---------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  readonly seed: string;
  readonly users: number;
  readonly groups: number;
  readonly largest: number;
  readonly minMembers: number;
  readonly maxMembers: number;
  readonly nestingDepth: number;
  readonly change: number;
  readonly signIns: number;
  readonly concurrency: number;
  /** Resource units per 10 s; undefined: Graph's default for the tenant's size. */
  readonly ruLimit: number | undefined;
  readonly maxMinutes: number;
  readonly json: boolean;
}

const USAGE = `Usage: npm run bench -- [options]

  --users N          users in the generated tenant (default 5000)
  --groups N         groups assigned to the app (default 400)
  --largest N        direct members of the first assigned group (default 3000)
  --min-members N    direct members of the other groups, at least (default 2)
  --max-members N    ... at most (default 80)
  --nesting-depth N  depth of the nested-group chains under 10 assigned groups (default 2)
  --seed S           the tenant follows from it (default "bench")
  --change F         fraction of memberships changed before the third run (default 0.01)
  --signins N        sign-ins per round (default 200)
  --concurrency N    sign-ins at once (default 8)
  --ru-limit N       Graph resource units per 10 s (default: Graph's for the tenant size)
  --max-minutes N    stop after this long (default 10)
  --json             also print every measurement as JSON`;

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string' },
      groups: { type: 'string' },
      largest: { type: 'string' },
      'min-members': { type: 'string' },
      'max-members': { type: 'string' },
      'nesting-depth': { type: 'string' },
      seed: { type: 'string' },
      change: { type: 'string' },
      signins: { type: 'string' },
      concurrency: { type: 'string' },
      'ru-limit': { type: 'string' },
      'max-minutes': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const whole = (name: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`--${name} must be a whole number >= ${min}, not ${JSON.stringify(text)}`);
    }
    return value;
  };
  const users = whole('users', values.users, 5000, 1);
  const options: BenchOptions = {
    seed: values.seed ?? 'bench',
    users,
    groups: whole('groups', values.groups, 400, 1),
    largest: Math.min(users, whole('largest', values.largest, Math.min(3000, users), 0)),
    minMembers: whole('min-members', values['min-members'], 2, 0),
    maxMembers: whole('max-members', values['max-members'], 80, 0),
    nestingDepth: whole('nesting-depth', values['nesting-depth'], 2, 0),
    change: Number(values.change ?? '0.01'),
    signIns: whole('signins', values.signins, 200, 0),
    concurrency: whole('concurrency', values.concurrency, 8, 1),
    ruLimit:
      values['ru-limit'] === undefined ? undefined : whole('ru-limit', values['ru-limit'], 0, 10),
    maxMinutes: whole('max-minutes', values['max-minutes'], 10, 1),
    json: values.json === true,
  };
  if (!(options.change >= 0 && options.change <= 0.5)) throw new Error('--change must be 0..0.5');
  if (options.maxMembers < options.minMembers) {
    throw new Error('--max-members must be at least --min-members');
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// The worker: the service's code and nothing else

interface ReconcileRequest {
  readonly id: number;
  readonly op: 'reconcile';
  readonly env: Record<string, string>;
}

interface SignInsRequest {
  readonly id: number;
  readonly op: 'signins';
  readonly env: Record<string, string>;
  readonly tenantId: string;
  readonly userIds: readonly string[];
  readonly concurrency: number;
  /** Epoch ms after which no new sign-in starts. */
  readonly deadline: number;
}

type WorkerRequest = ReconcileRequest | SignInsRequest;

interface RetryWaits {
  count: number;
  totalMs: number;
}

/** Table Storage traffic, from the `Tables` beneath the service's repository (counted, not changed). */
interface TableTraffic {
  /** Query pages (`listEntities`, partition reads) and point reads. */
  readRequests: number;
  entitiesRead: number;
  readMs: number;
  /** Writes to the contract tables (`Teams`, `Users`). */
  contractEntities: number;
  contractRequests: number;
  contractMs: number;
  /** Writes to the bookkeeping tables (audit log, run records, lease). */
  bookkeepingEntities: number;
  bookkeepingRequests: number;
  bookkeepingMs: number;
}

function emptyTableTraffic(): TableTraffic {
  return {
    readRequests: 0,
    entitiesRead: 0,
    readMs: 0,
    contractEntities: 0,
    contractRequests: 0,
    contractMs: 0,
    bookkeepingEntities: 0,
    bookkeepingRequests: 0,
    bookkeepingMs: 0,
  };
}

interface ReconcileMeasure {
  readonly kind: 'reconcile';
  readonly wallMs: number;
  /** Time inside the Graph reader's calls (assigned groups, members, unseen users). */
  readonly graphMs: number;
  readonly outcome: string;
  readonly summary: RunSummary | undefined;
  readonly holdReason: string | undefined;
  readonly retryWaits: RetryWaits;
  readonly tables: TableTraffic;
}

interface SignInsMeasure {
  readonly kind: 'signins';
  readonly wallMs: number;
  readonly latenciesMs: readonly number[];
  readonly tableWrites: readonly number[];
  /** Graph HTTP requests the process's sign-in reader sent in the round (a `$batch` is one). */
  readonly graphRequests: number;
  /** Time inside the Graph reader's calls, summed over the sign-ins. */
  readonly graphMs: number;
  readonly usersCreated: number;
  readonly teamsCreated: number;
  readonly membershipsAdded: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly skipped: number;
  readonly retryWaits: RetryWaits;
  readonly tables: TableTraffic;
}

type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: ReconcileMeasure | SignInsMeasure }
  | { readonly id: number; readonly ok: false; readonly error: string };

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** The worker's counters, reset by each request (requests never overlap). */
const counted = {
  waits: { count: 0, totalMs: 0 },
  graphMs: 0,
  tables: emptyTableTraffic(),
  reset(): void {
    this.waits = { count: 0, totalMs: 0 };
    this.graphMs = 0;
    this.tables = emptyTableTraffic();
  },
};

async function timed<T>(work: Promise<T>, add: (ms: number) => void): Promise<T> {
  const started = performance.now();
  try {
    return await work;
  } finally {
    add(performance.now() - started);
  }
}

/** The `Tables` beneath the service's repository, counting what it sends. */
class CountingTables extends Tables {
  override async applyWrites(
    writes: readonly TableWrite[],
    options?: { concurrency?: number },
  ): Promise<ApplyReport> {
    const started = performance.now();
    const report = await super.applyWrites(writes, options);
    const elapsed = performance.now() - started;
    const t = counted.tables;
    if (writes.some((write) => write.table === 'teams' || write.table === 'users')) {
      t.contractEntities += report.applied;
      t.contractRequests += report.requests;
      t.contractMs += elapsed;
    } else {
      t.bookkeepingEntities += report.applied;
      t.bookkeepingRequests += report.requests;
      t.bookkeepingMs += elapsed;
    }
    return report;
  }

  override async listPage(...args: Parameters<Tables['listPage']>): Promise<EntityPage> {
    const page = await timed(super.listPage(...args), (elapsed) => {
      counted.tables.readMs += elapsed;
    });
    counted.tables.readRequests += 1;
    counted.tables.entitiesRead += page.entities.length;
    return page;
  }

  override async readEntity(
    ...args: Parameters<Tables['readEntity']>
  ): ReturnType<Tables['readEntity']> {
    const entity = await timed(super.readEntity(...args), (elapsed) => {
      counted.tables.readMs += elapsed;
    });
    counted.tables.readRequests += 1;
    if (entity !== undefined) counted.tables.entitiesRead += 1;
    return entity;
  }
}

/** A `DirectoryReader` that adds the time of each call to `counted.graphMs`. */
function timedDirectory(reader: DirectoryReader): DirectoryReader {
  const add = (elapsed: number): void => {
    counted.graphMs += elapsed;
  };
  return {
    get requestCount() {
      return reader.requestCount;
    },
    servicePrincipalId: () => timed(reader.servicePrincipalId(), add),
    assignedGroups: (options) => timed(reader.assignedGroups(options), add),
    appAssignments: (options) => timed(reader.appAssignments(options), add),
    appRoles: () => timed(reader.appRoles(), add),
    userWithGroups: (userId, membership) => timed(reader.userWithGroups(userId, membership), add),
    groupMembers: (groupIds, membership, onGroupDone) =>
      timed(reader.groupMembers(groupIds, membership, onGroupDone), add),
    users: (userIds) => timed(reader.users(userIds), add),
  };
}

function runWorker(): void {
  const byPrefix = new Map<string, Services>();
  // The Graph reader's retry sleep, counted: how the runner honoured 429s and back-offs.
  const sleep = (ms: number): Promise<void> => {
    counted.waits.count += 1;
    counted.waits.totalMs += ms;
    return new Promise((resolve) => setTimeout(resolve, ms));
  };
  const servicesFor = (env: Record<string, string>): Services => {
    const prefix = env.TABLE_PREFIX ?? '';
    let services = byPrefix.get(prefix);
    if (services === undefined) {
      const settings = loadSettings(env);
      services = createServices(settings, {
        repository: createRepository(
          new CountingTables(
            tableClientFactory(settings.tables, settings.entra.managedIdentityClientId),
            settings.tables.prefix,
          ),
        ),
        createDirectory: (options) =>
          timedDirectory(createDirectoryReader(settings, { ...options, sleep })),
      });
      byPrefix.set(prefix, services);
    }
    return services;
  };

  const measureReconcile = async (request: ReconcileRequest): Promise<ReconcileMeasure> => {
    const services = servicesFor(request.env);
    counted.reset();
    const started = performance.now();
    const { record } = await reconcile(services, { trigger: 'cli' });
    return {
      kind: 'reconcile',
      wallMs: performance.now() - started,
      graphMs: counted.graphMs,
      outcome: record.outcome,
      summary: record.summary,
      holdReason: record.holdReason,
      retryWaits: counted.waits,
      tables: counted.tables,
    };
  };

  const measureSignIns = async (request: SignInsRequest): Promise<SignInsMeasure> => {
    const services = servicesFor(request.env);
    counted.reset();
    const directory = services.directory;
    const requestsBefore = directory.requestCount;
    const latenciesMs: number[] = [];
    const tableWrites: number[] = [];
    const errorSamples: string[] = [];
    let errors = 0;
    let skipped = 0;
    let usersCreated = 0;
    let teamsCreated = 0;
    let membershipsAdded = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      for (let index = next++; index < request.userIds.length; index = next++) {
        const userId = request.userIds[index];
        if (userId === undefined) continue;
        if (Date.now() > request.deadline) {
          skipped += 1;
          continue;
        }
        const begun = performance.now();
        try {
          const result = await syncSignedInUser(services, { userId, tenantId: request.tenantId });
          latenciesMs.push(performance.now() - begun);
          tableWrites.push(result.changes.tableWrites);
          if (result.user.created) usersCreated += 1;
          teamsCreated += result.changes.teamsCreated.length;
          membershipsAdded += result.changes.membershipsAdded.length;
        } catch (error) {
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push(describe(error));
        }
      }
    };
    await Promise.all(Array.from({ length: request.concurrency }, worker));
    return {
      kind: 'signins',
      wallMs: performance.now() - started,
      latenciesMs,
      tableWrites,
      graphRequests: directory.requestCount - requestsBefore,
      graphMs: counted.graphMs,
      usersCreated,
      teamsCreated,
      membershipsAdded,
      errors,
      errorSamples,
      skipped,
      retryWaits: counted.waits,
      tables: counted.tables,
    };
  };

  const reply = (message: WorkerReply): void => {
    process.send?.(message);
  };
  // One request at a time: the launcher waits for each answer.
  process.on('message', (message) => {
    const request = message as WorkerRequest;
    const measured =
      request.op === 'reconcile' ? measureReconcile(request) : measureSignIns(request);
    measured.then(
      (result) => {
        reply({ id: request.id, ok: true, result });
      },
      (error: unknown) => {
        reply({ id: request.id, ok: false, error: describe(error) });
      },
    );
  });
  process.on('disconnect', () => {
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------
// The launcher

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }
  >();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message) => {
      const reply = message as WorkerReply;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`the worker exited (${String(code ?? signal)})`));
      }
      this.pending.clear();
    });
  }

  async call<T extends ReconcileMeasure | SignInsMeasure>(
    request: WithoutId<WorkerRequest>,
  ): Promise<T> {
    const id = this.nextId++;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...request, id });
    });
    if (!reply.ok) throw new Error(`worker: ${reply.error}`);
    return reply.result as T;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/** Users (not groups) who are members of each assigned group, through nested groups. */
function transitiveMembers(state: ParsedTenantData): Map<string, Set<string>> {
  const groups = new Map(state.groups.map((group) => [group.id, group]));
  const userIds = new Set(state.users.map((user) => user.id));
  const result = new Map<string, Set<string>>();
  for (const { principalId } of state.assignments) {
    if (!groups.has(principalId)) continue;
    const found = new Set<string>();
    const seen = new Set<string>();
    const visit = (id: string): void => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const member of groups.get(id)?.members ?? []) {
        if (userIds.has(member)) found.add(member);
        else visit(member);
      }
    };
    visit(principalId);
    result.set(principalId.toLowerCase(), found);
  }
  return result;
}

function countMemberships(members: ReadonlyMap<string, ReadonlySet<string>>): number {
  let total = 0;
  for (const set of members.values()) total += set.size;
  return total;
}

function unionOf(members: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const all = new Set<string>();
  for (const set of members.values()) for (const id of set) all.add(id);
  return all;
}

/** Removes and adds direct user memberships of assigned groups, about `fraction` of them. */
function changeMemberships(
  sim: SimulatedTenant,
  rand: () => number,
  fraction: number,
): { removed: number; added: number } {
  const state = sim.admin.getState();
  const assigned = new Set(state.assignments.map((assignment) => assignment.principalId));
  const userIds = state.users.map((user) => user.id);
  const userSet = new Set(userIds);
  const assignedGroups = state.groups.filter((group) => assigned.has(group.id));
  const direct = new Map(assignedGroups.map((group) => [group.id, new Set(group.members)]));
  const pairs: [string, string][] = [];
  for (const group of assignedGroups) {
    for (const member of group.members) if (userSet.has(member)) pairs.push([group.id, member]);
  }
  const target = Math.max(2, Math.round(countMemberships(transitiveMembers(state)) * fraction));
  const removals = Math.floor(target / 2);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(rand() * items.length)];
  const taken = new Set<string>();
  let removed = 0;
  for (let tries = 0; removed < removals && tries < removals * 20; tries++) {
    const pair = pick(pairs);
    if (pair === undefined || taken.has(pair.join('/'))) continue;
    taken.add(pair.join('/'));
    sim.admin.removeMember(pair[0], pair[1]);
    removed += 1;
  }
  let added = 0;
  for (let tries = 0; added < target - removals && tries < target * 20; tries++) {
    const group = pick(assignedGroups);
    const userId = pick(userIds);
    if (group === undefined || userId === undefined) continue;
    if (direct.get(group.id)?.has(userId) !== false) continue;
    if (taken.has(`${group.id}/${userId}`)) continue;
    taken.add(`${group.id}/${userId}`);
    sim.admin.addMember(group.id, userId);
    added += 1;
  }
  return { removed, added };
}

/** Samples the tenant's resource-unit counter to find the busiest 10-second window. */
class RuSampler {
  private readonly samples: { at: number; ru: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sim: SimulatedTenant) {
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
    }, 100);
  }

  private sample(): void {
    this.samples.push({ at: performance.now(), ru: this.sim.counters().resourceUnitsSpent });
  }

  /** The most resource units spent in any 10 s. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let peak = 0;
    let start = 0;
    for (const end of this.samples) {
      while ((this.samples[start]?.at ?? end.at) < end.at - 10_000) start += 1;
      peak = Math.max(peak, end.ru - (this.samples[start]?.ru ?? 0));
    }
    return peak;
  }
}

interface GraphTraffic {
  readonly batchSubRequests: number;
  readonly resourceUnits: number;
  readonly peakRuPer10s: number;
  readonly throttled: number;
  readonly status429: number;
  readonly tokenRequests: number;
  readonly httpRequests: number;
}

function trafficOf(counters: TenantCounters, peakRuPer10s: number): GraphTraffic {
  const tokenRequests = Object.entries(counters.requestsByRoute)
    .filter(([route]) => route.endsWith('/oauth2/v2.0/token'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    batchSubRequests: counters.batchSubRequests,
    resourceUnits: counters.resourceUnitsSpent,
    peakRuPer10s,
    throttled: counters.throttled,
    status429: counters.statuses['429'] ?? 0,
    tokenRequests,
    httpRequests: counters.total,
  };
}

interface ReconcilePhase {
  readonly name: string;
  readonly measure: ReconcileMeasure;
  readonly graph: GraphTraffic;
}

interface SignInPhase {
  readonly name: string;
  readonly measure: SignInsMeasure;
  readonly graph: GraphTraffic;
}

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
    Number.NaN
  );
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function num(value: number, digits = 0): string {
  if (Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
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

function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [
    `machine: ${String(availableParallelism())} cores (${cpu}), ${num(totalmem() / 2 ** 30, 1)} GiB`,
    `node ${process.version}, ${platform()} ${release()}`,
    `load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  ].join('; ');
}

async function runLauncher(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  const startedAt = Date.now();
  const deadline = startedAt + options.maxMinutes * 60_000;
  let worker: WorkerHandle | undefined;
  let azurite: RunningAzurite | undefined;
  let sim: SimulatedTenant | undefined;
  const guard = setTimeout(() => {
    console.error(`bench: stopped after ${options.maxMinutes} minutes (--max-minutes)`);
    worker?.child.kill('SIGKILL');
    process.exit(2);
  }, options.maxMinutes * 60_000);
  guard.unref();

  try {
    const certificate = await ensureDevCertificate();
    const tenant = generateTenant({
      seed: options.seed,
      users: options.users,
      // The assigned groups, the nested chains under ten of them, and ten more nobody assigned.
      groups: options.groups + options.nestingDepth * 10 + 10,
      assignedGroups: options.groups,
      membershipsPerGroup: { min: options.minMembers, max: options.maxMembers },
      largestGroupMembers: options.largest,
      nestingDepth: options.nestingDepth,
    });
    azurite = await startAzurite();
    sim = await startSimulatedTenant({
      tenant,
      port: 0,
      certificate,
      throttling: options.ruLimit === undefined ? true : { limit: options.ruLimit },
    });
    const ruBudget = options.ruLimit ?? defaultBudgetLimit(options.users);

    const child = fork(fileURLToPath(import.meta.url), ['--worker'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.caPath },
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    worker = new WorkerHandle(child);
    const activeSim = sim;
    const activeWorker = worker;

    const before = transitiveMembers(activeSim.admin.getState());
    const memberships = countMemberships(before);
    const members = unionOf(before);
    console.log(machine());
    console.log(
      `tenant: seed ${JSON.stringify(options.seed)}, ${num(options.users)} users, ` +
        `${num(options.groups)} assigned groups (largest ${num(options.largest)} direct members, ` +
        `others ${options.minMembers}–${options.maxMembers}, nesting depth ${options.nestingDepth}), ` +
        `${num(memberships)} transitive memberships of ${num(members.size)} users`,
    );
    console.log(
      `Graph throttling: on, ${num(ruBudget)} resource units per 10 s; ` +
        `Table Storage: in-memory Azurite (launcher process); all on 127.0.0.1\n`,
    );

    const env = (prefix: string): Record<string, string> => ({
      ...activeSim.env,
      TABLES_CONNECTION_STRING: azurite?.connectionString ?? '',
      TABLE_PREFIX: prefix,
      DEFAULT_TEAM_PARAMS: JSON.stringify({
        max_budget: 100,
        budget_duration: '30d',
        models: ['gpt-3.5-turbo'],
        tpm_limit: 100000,
        rpm_limit: 1000,
      }),
      DEFAULT_INTERNAL_USER_PARAMS: JSON.stringify({
        user_role: 'internal_user',
        max_budget: 10,
        budget_duration: '30d',
        models: [],
      }),
    });
    const main = env('BenchMain');
    const checks: Check[] = [];
    const check = (name: string, ok: boolean, detail: string): void => {
      checks.push({ name, ok, detail });
    };

    const reconcilePhase = async (name: string): Promise<ReconcilePhase> => {
      activeSim.resetCounters();
      const sampler = new RuSampler(activeSim);
      const measure = await activeWorker.call<ReconcileMeasure>({ op: 'reconcile', env: main });
      const peak = sampler.stop();
      console.error(`  ${name}: ${ms(measure.wallMs)}, ${measure.outcome}`);
      return { name, measure, graph: trafficOf(activeSim.counters(), peak) };
    };
    const signInPhase = async (
      name: string,
      prefixEnv: Record<string, string>,
      userIds: readonly string[],
      concurrency = options.concurrency,
    ): Promise<SignInPhase> => {
      activeSim.resetCounters();
      const sampler = new RuSampler(activeSim);
      const measure = await activeWorker.call<SignInsMeasure>({
        op: 'signins',
        env: prefixEnv,
        tenantId: activeSim.tenantId,
        userIds,
        concurrency,
        deadline: deadline - 15_000,
      });
      const peak = sampler.stop();
      console.error(`  ${name}: ${ms(measure.wallMs)}, ${measure.errors} errors`);
      return { name, measure, graph: trafficOf(activeSim.counters(), peak) };
    };

    console.error('running:');
    const reconciles: ReconcilePhase[] = [];

    // (1) Everything is created.
    const first = await reconcilePhase('1. first run (everything created)');
    reconciles.push(first);
    const expectedFirst = options.groups + members.size + 2 * memberships;
    check(
      'first run writes every team, user and both sides of every membership',
      first.measure.outcome === 'succeeded' && first.measure.summary?.tableWrites === expectedFirst,
      `outcome ${first.measure.outcome}, tableWrites ${String(first.measure.summary?.tableWrites)}, expected ${expectedFirst}`,
    );

    // (2) Nothing changed.
    const second = await reconcilePhase('2. second run (nothing changed)');
    reconciles.push(second);
    check(
      'an unchanged tenant writes nothing',
      second.measure.summary?.tableWrites === 0,
      `tableWrites ${String(second.measure.summary?.tableWrites)}`,
    );

    // (3) About 1% of the memberships change.
    const rand = createPrng(`${options.seed}/changes`);
    const changed = changeMemberships(activeSim, rand, options.change);
    const after = transitiveMembers(activeSim.admin.getState());
    let adds = 0;
    let removes = 0;
    for (const [groupId, now] of after) {
      const was = before.get(groupId) ?? new Set<string>();
      for (const id of now) if (!was.has(id)) adds += 1;
      for (const id of was) if (!now.has(id)) removes += 1;
    }
    const newUsers = [...unionOf(after)].filter((id) => !members.has(id)).length;
    const third = await reconcilePhase(
      `3. after ${changed.removed} removals + ${changed.added} additions of direct members`,
    );
    reconciles.push(third);
    const summary3 = third.measure.summary;
    check(
      'the changed memberships, and only they, are written',
      summary3?.membershipsAdded === adds &&
        summary3.membershipsRemoved === removes &&
        summary3.tableWrites === 2 * (adds + removes) + newUsers,
      `added ${String(summary3?.membershipsAdded)}/${adds}, removed ${String(summary3?.membershipsRemoved)}/${removes}, ` +
        `tableWrites ${String(summary3?.tableWrites)}/${2 * (adds + removes) + newUsers}` +
        (third.measure.holdReason === undefined ? '' : `, held: ${third.measure.holdReason}`),
    );

    const fourth = await reconcilePhase('4. next run (nothing changed)');
    reconciles.push(fourth);
    check(
      'after the change, the next run writes nothing',
      fourth.measure.summary?.tableWrites === 0,
      `tableWrites ${String(fourth.measure.summary?.tableWrites)}`,
    );

    // (5) Sign-ins of random enabled members.
    const enabled = new Set(
      activeSim.admin
        .getState()
        .users.filter((user) => user.accountEnabled)
        .map((user) => user.id),
    );
    const candidates = [...unionOf(after)].filter((id) => enabled.has(id)).sort();
    const pickRand = createPrng(`${options.seed}/signins`);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(pickRand() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j] ?? '', candidates[i] ?? ''];
    }
    const signInUsers = candidates.slice(0, options.signIns);
    const signIns: SignInPhase[] = [];
    if (signInUsers.length > 0) {
      signIns.push(await signInPhase('after reconcile: first sign-in', main, signInUsers));
      signIns.push(await signInPhase('after reconcile: repeat sign-in', main, signInUsers));
      signIns.push(await signInPhase('repeat, one at a time', main, signInUsers.slice(0, 50), 1));
      const cold = env('BenchCold');
      signIns.push(await signInPhase('empty tables: first sign-in', cold, signInUsers));
      signIns.push(await signInPhase('empty tables: repeat sign-in', cold, signInUsers));
    }
    // What the sign-ins must create: on empty tables, each user, each of their teams once, and
    // each of their memberships; on tables already in step (and on a repeat), nothing but
    // `lastSignInAt` (one write).
    const signedIn = new Set(signInUsers);
    let expectedTeams = 0;
    let expectedMemberships = 0;
    for (const set of after.values()) {
      let here = 0;
      for (const id of set) if (signedIn.has(id)) here += 1;
      expectedMemberships += here;
      if (here > 0) expectedTeams += 1;
    }
    signIns.forEach((phase, index) => {
      const { measure } = phase;
      const created = `${measure.usersCreated}/${measure.teamsCreated}/${measure.membershipsAdded}`;
      if (index === 3) {
        const expected = `${signInUsers.length}/${expectedTeams}/${expectedMemberships}`;
        check(
          `${phase.name}: creates what Entra says`,
          created === expected,
          `${created}, expected ${expected}`,
        );
      } else {
        const writes = measure.tableWrites.filter((count) => count !== 1).length;
        check(
          `${phase.name}: writes only lastSignInAt`,
          created === '0/0/0' && writes === 0,
          `created ${created}, ${writes} sign-ins wrote other than 1 entity`,
        );
      }
    });
    for (const phase of signIns) {
      check(
        `sign-ins without errors (${phase.name})`,
        phase.measure.errors === 0 && phase.measure.skipped === 0,
        `${phase.measure.errors} errors, ${phase.measure.skipped} skipped` +
          (phase.measure.errorSamples.length > 0
            ? `: ${phase.measure.errorSamples.join(' | ')}`
            : ''),
      );
    }

    // ------------------------------------------------------------------ report
    console.log('reconciliation, Graph side:');
    console.log(
      table(
        [
          'run',
          'wall',
          'in Graph calls',
          'Graph req',
          '$batch sub-req',
          'RU',
          'peak RU/10 s',
          '429s',
          'retry waits',
        ],
        reconciles.map(({ name, measure, graph }) => [
          name,
          ms(measure.wallMs),
          ms(measure.graphMs),
          num(measure.summary?.graphRequests ?? Number.NaN),
          num(graph.batchSubRequests),
          num(graph.resourceUnits),
          num(graph.peakRuPer10s),
          num(graph.status429),
          `${measure.retryWaits.count} (${ms(measure.retryWaits.totalMs)})`,
        ]),
      ),
    );
    console.log('\nreconciliation, Table Storage side:');
    console.log(
      table(
        [
          'run',
          'reads: req / entities / time',
          'table writes (Teams, Users)',
          'write req / time',
          'entities/s (wall)',
          'entities/s (writing)',
          'bookkeeping: entities / req / time',
        ],
        reconciles.map(({ name, measure }) => {
          const t = measure.tables;
          const written = measure.summary?.tableWrites ?? Number.NaN;
          return [
            name,
            `${num(t.readRequests)} / ${num(t.entitiesRead)} / ${ms(t.readMs)}`,
            num(written),
            `${num(t.contractRequests)} / ${ms(t.contractMs)}`,
            num((written / measure.wallMs) * 1000),
            t.contractMs > 0 ? num((t.contractEntities / t.contractMs) * 1000) : '–',
            `${num(t.bookkeepingEntities)} / ${num(t.bookkeepingRequests)} / ${ms(t.bookkeepingMs)}`,
          ];
        }),
      ),
    );
    for (const { name, measure } of reconciles) {
      const s = measure.summary;
      if (s === undefined) continue;
      console.log(
        `  ${name.slice(0, 2)} ${measure.outcome}: ${s.groups} groups, teams +${s.teamsCreated}, ` +
          `users +${s.usersCreated} ~${s.usersUpdated}, memberships +${s.membershipsAdded} ` +
          `-${s.membershipsRemoved} held ${s.membershipsHeld}, incomplete groups ${s.incompleteGroups}, ` +
          `failed writes ${s.failedWrites}`,
      );
    }
    if (signIns.length > 0) {
      console.log(
        `\nsign-ins: ${num(signInUsers.length)} random enabled members per round, ` +
          `concurrency ${options.concurrency} (one at a time: the first 50 of them); ` +
          'latency of syncSignedInUser (token validation not included)',
      );
      console.log(
        table(
          [
            'round',
            'n',
            'p50',
            'p95',
            'max',
            'sign-ins/s',
            'Graph req',
            'in Graph',
            'RU',
            '429s',
            'table reads',
            'table writes',
            'created (users/teams/memberships)',
          ],
          signIns.map(({ name, measure, graph }) => {
            const n = measure.latenciesMs.length;
            const writes = measure.tableWrites.reduce((sum, w) => sum + w, 0);
            return [
              name,
              num(n),
              ms(percentile(measure.latenciesMs, 50)),
              ms(percentile(measure.latenciesMs, 95)),
              ms(Math.max(...measure.latenciesMs)),
              num((n / measure.wallMs) * 1000, 1),
              num(measure.graphRequests / n, 2),
              ms(measure.graphMs / n),
              num(graph.resourceUnits / n, 2),
              num(graph.status429),
              num(measure.tables.readRequests / n, 1),
              `${num(writes / n, 2)} (max ${num(Math.max(...measure.tableWrites))})`,
              `${measure.usersCreated}/${measure.teamsCreated}/${measure.membershipsAdded}`,
            ];
          }),
        ),
      );
      console.log('  Graph req, in Graph, RU, table reads and table writes are per sign-in');
    }
    const schedule = 30 * 60_000;
    console.log(
      `\nfor an operator: the first run took ${ms(first.measure.wallMs)} ` +
        `(${num((first.measure.wallMs / schedule) * 100, 1)}% of a 30-minute schedule); an unchanged run ` +
        `${ms(second.measure.wallMs)}; peak Graph use ${num(
          Math.max(...reconciles.map((phase) => phase.graph.peakRuPer10s)),
        )} of ${num(ruBudget)} resource units per 10 s`,
    );
    console.log('\nchecks:');
    for (const { name, ok, detail } of checks) {
      console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name} (${detail})`);
    }
    console.log(
      `\nbench: ${ms(Date.now() - startedAt)} in all; load average at the end ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );
    if (options.json) {
      console.log(
        JSON.stringify(
          {
            machine: machine(),
            options,
            ruBudget,
            tenant: { memberships, members: members.size },
            reconciles,
            signIns: signIns.map(({ name, measure, graph }) => ({
              name,
              graph,
              measure: { ...measure, latenciesMs: undefined, tableWrites: undefined },
              p50: percentile(measure.latenciesMs, 50),
              p95: percentile(measure.latenciesMs, 95),
            })),
            checks,
          },
          null,
          2,
        ),
      );
    }
    return checks.every((entry) => entry.ok) ? 0 : 1;
  } finally {
    clearTimeout(guard);
    worker?.stop();
    await sim?.stop().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
  }
}

if (process.argv.includes('--worker')) {
  runWorker();
} else {
  try {
    process.exitCode = await runLauncher(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${describe(error)}`);
    process.exitCode = 1;
  }
}
