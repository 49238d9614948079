/**
 * One run of the convergence suite against the real parts: the simulated tenant, Azurite's tables
 * (a fresh prefix per run) and queue, the sign-in handler, the webhook handler and the queue
 * worker, delta rounds and full passes. Each command changes the tenant and the model alike, or
 * triggers a sync, or edits as an operator, or injects a fault; the rules are checked after each.
 */
import { graphNotifications } from '../../functions/graph-notifications.js';
import { syncMe } from '../../functions/sync-me.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { releaseHeldRemovals } from '../../shared/console/release.js';
import { isServiceError } from '../../shared/errors.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { workGroupSyncMessage } from '../../shared/notifications/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import { createRepository, tableClientFactory } from '../../shared/store/index.js';
import { deltaRound, reconcile } from '../../shared/sync/index.js';
import type { CurrentState } from '../../shared/sync/model.js';
import { CountingTables } from '../support/counting-tables.js';
import { invoke } from '../support/invoke.js';
import type { NotificationReceiver } from '../support/notification-receiver.js';
import { CLIENT_STATE, clear, drain } from '../support/notifications.js';
import { testSettings } from '../support/services.js';
import { uniqueTablePrefix } from '../support/tables.js';
import type { Command, TenantSpec } from './commands.js';
import { DEFAULT_ROLE, TenantModel } from './model.js';
import { operatorEdit } from './operator.js';
import { desiredStateProblems, operatorWorkKept, removalsAllowed } from './rules.js';
import { pick, TenantDriver } from './tenant-driver.js';

/** Small enough that random runs cross it; large enough for most single sign-ins. */
export const MAX_REMOVALS_PER_RUN = 3;

const ENVIRONMENT = {
  ASSIGNED_GROUPS_CACHE_SECONDS: '0',
  MAX_MEMBERSHIP_REMOVALS_PER_RUN: String(MAX_REMOVALS_PER_RUN),
  DEFAULT_TEAM_PARAMS: JSON.stringify({ max_budget: 100, budget_duration: '30d', models: ['m'] }),
  DEFAULT_INTERNAL_USER_PARAMS: JSON.stringify({
    user_role: DEFAULT_ROLE,
    max_budget: 10,
    budget_duration: '30d',
    models: [],
  }),
};

export interface Shared {
  readonly sim: SimulatedTenant;
  readonly queueConnectionString: string;
  readonly receiver: NotificationReceiver;
}

/** What the suite counts over all runs, for the report. */
export const tally = {
  runs: 0,
  commands: 0,
  syncs: 0,
  failedSyncs: 0,
  heldRuns: 0,
  signIns: 0,
  notificationsWorked: 0,
  releases: 0,
};

/** A broken rule, with the run's trace so far. */
export class Violation extends Error {}

const fast = (): Promise<void> => Promise.resolve();

export class World {
  readonly model = new TenantModel();
  readonly services: Services;
  readonly tables: CountingTables;
  readonly trace: string[] = [];
  readonly workerLog: string[] = [];
  private readonly tenant: TenantDriver;

  constructor(
    private readonly shared: Shared,
    run: number,
  ) {
    const settings = testSettings({
      ...shared.sim.env,
      ...ENVIRONMENT,
      TABLE_PREFIX: uniqueTablePrefix('Cv'),
      QUEUES_CONNECTION_STRING: shared.queueConnectionString,
      NOTIFICATION_URL: shared.receiver.url,
      NOTIFICATION_CLIENT_STATE: CLIENT_STATE,
    });
    this.tables = new CountingTables(tableClientFactory(settings.tables), settings.tables.prefix);
    this.services = createServices(settings, {
      repository: createRepository(this.tables),
      createDirectory: (options) => createDirectoryReader(settings, { sleep: fast, ...options }),
    });
    const runTag = (0xc0000000 + run).toString(16);
    this.tenant = new TenantDriver(shared.sim, this.model, runTag);
  }

  private get sim() {
    return this.shared.sim;
  }

  private fail(message: string): never {
    throw new Violation(`${message}\ntrace:\n  ${this.trace.join('\n  ')}`);
  }

  /** A fresh tenant and empty tables; what the set-up itself announced is not part of the run. */
  async setUp(spec: TenantSpec): Promise<void> {
    this.tenant.setUp(spec);
    await this.sim.admin.flushNotifications();
    this.shared.receiver.clear();
    await clear(this.shared.queueConnectionString);
    useServices(this.services);
    this.model.noteView();
    this.trace.push(`tenant ${JSON.stringify(spec)}`);
  }

  private async read(): Promise<CurrentState> {
    return this.services.repository.read({ kind: 'tenant' });
  }

  /** A sync that fails under faults is fine (it is reported); one that fails otherwise is not. */
  private expectedFailure(error: unknown, what: string): string {
    tally.failedSyncs += 1;
    if (!isServiceError(error)) {
      this.fail(`${what} failed with an unexpected error: ${String(error)}`);
    }
    if (error.code === 'sync_refused' && this.model.assignedGroups().length > 0) {
      this.fail(`${what} refused while groups are assigned: ${error.message}`);
    }
    return `${what} failed (${error.code})`;
  }

  private faultsPending(): boolean {
    return this.sim.faults.list().length > 0;
  }

  private async fullPass(): Promise<string> {
    tally.syncs += 1;
    try {
      const { record } = await reconcile(this.services, { trigger: 'timer' });
      if (record.outcome === 'held') tally.heldRuns += 1;
      return `full pass: ${record.outcome}`;
    } catch (error) {
      return this.expectedFailure(error, 'full pass');
    }
  }

  private async delta(): Promise<string> {
    tally.syncs += 1;
    try {
      const round = await deltaRound(this.services);
      return `delta round: ${round.outcome} [${round.syncedGroups.length} group(s)]`;
    } catch (error) {
      return this.expectedFailure(error, 'delta round');
    }
  }

  private async signIn(n: number): Promise<string | undefined> {
    const user = pick(
      this.model.liveUsers().filter((u) => u.accountEnabled),
      n,
    );
    if (user === undefined) return undefined;
    tally.signIns += 1;
    const faulty = this.faultsPending();
    const token = await this.sim.issueToken({ userId: user.id });
    const response = await invoke(syncMe, {
      method: 'POST',
      path: 'sync/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const expected = this.model.userIsAssigned(user.id) ? 200 : 403;
    if (response.status !== expected && !(faulty && response.status === 503)) {
      this.fail(
        `sign-in of ${user.displayName}: ${response.status} (expected ${expected}) ${response.text}`,
      );
    }
    return `sign-in ${user.displayName}: ${response.status}`;
  }

  /** The tenant's pending notifications through the webhook, then the queue worker. */
  private async notify(check: (before: CurrentState, what: string) => Promise<void>) {
    await this.sim.admin.flushNotifications();
    const posts = [...this.shared.receiver.posts];
    this.shared.receiver.clear();
    for (const post of posts) {
      const response = await invoke(graphNotifications, {
        method: 'POST',
        path: 'graph/notifications',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(post.body),
      });
      if (response.status !== 202)
        this.fail(`webhook answered ${response.status}: ${response.text}`);
    }
    const messages = await drain(this.shared.queueConnectionString);
    const log = {
      info: (line: string) => this.workerLog.push(line),
      warn: (line: string) => this.workerLog.push(line),
    };
    const outcomes: string[] = [];
    for (const message of messages) {
      // The host's retries (maxDequeueCount 5): the same message again after a failure.
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const before = await this.read();
        tally.syncs += 1;
        try {
          await workGroupSyncMessage(message, this.services, log);
          tally.notificationsWorked += 1;
          outcomes.push(`${message.kind} ok`);
          await check(before, 'worker');
          break;
        } catch (error) {
          await check(before, 'worker');
          outcomes.push(this.expectedFailure(error, `${message.kind} message`));
        }
      }
    }
    return `notify: ${posts.length} post(s), ${messages.length} message(s) [${outcomes.join(', ')}]`;
  }

  // ---- one command, and the rules that hold after every one ---------------------------------

  async execute(command: Command): Promise<void> {
    tally.commands += 1;
    const before = await this.read();
    // Syncs other than full passes leave alone what the last full pass held.
    const hold = await this.services.repository.readHold();
    const check = (from: CurrentState, what: string) =>
      this.checkAlways(from, what, { maxRemovals: MAX_REMOVALS_PER_RUN, hold });
    let line: string | undefined;
    switch (command.kind) {
      case 'signIn':
        line = await this.signIn(command.user);
        break;
      case 'notify':
        line = await this.notify(check);
        break;
      case 'delta':
        line = await this.delta();
        break;
      case 'fullPass':
        line = await this.fullPass();
        break;
      case 'setBudget':
      case 'setAlias':
      case 'setRole':
      case 'addManual':
        line = await operatorEdit(
          command,
          before,
          this.tables,
          this.model,
          () => ++this.tenant.changes,
        );
        break;
      case 'graphFault':
        this.sim.faults.inject({
          pathPattern: '/v1.0/',
          status: command.status,
          times: command.times,
          inBatch: command.inBatch,
          ...(command.status === 429 ? { retryAfterSeconds: 0 } : {}),
        });
        line = `fault: Graph ${command.status} x${command.times}${command.inBatch ? ' in $batch' : ''}`;
        break;
      case 'feedFault':
        this.sim.admin.injectFeedFault({ kind: command.fault });
        line = `fault: notifications/delta ${command.fault}`;
        break;
      default:
        line = this.tenant.apply(command);
    }
    this.model.noteView();
    if (line !== undefined) this.trace.push(line);
    const bindsHold =
      command.kind === 'signIn' ||
      command.kind === 'notify' ||
      (command.kind === 'delta' && line?.includes('full-pass') !== true);
    await this.checkAlways(before, line ?? command.kind, {
      // The worker's messages are runs of their own, each checked as it is worked.
      maxRemovals: command.kind === 'notify' ? Infinity : MAX_REMOVALS_PER_RUN,
      hold: bindsHold ? hold : undefined,
    });
  }

  /**
   * After every command (and every queue message): manual memberships and operator edits intact,
   * no membership removed that Entra still has, no run removing more than the guard allows.
   */
  async checkAlways(
    before: CurrentState,
    what: string,
    limits: Parameters<typeof removalsAllowed>[3],
  ): Promise<void> {
    const after = await this.read();
    const broken = [
      ...operatorWorkKept(this.model, after),
      ...removalsAllowed(this.model, before, after, limits),
    ];
    if (broken.length > 0) this.fail(`after "${what}": ${broken.join('; ')}`);
  }

  // ---- the end: a fault-free full pass, the oracle, and a pass that writes nothing ---------

  async converge(): Promise<void> {
    this.sim.faults.clear();
    this.sim.admin.clearFeedFaults();
    this.shared.receiver.clear();
    await clear(this.shared.queueConnectionString);
    this.model.noteView();
    const before = await this.read();
    let { record } = await this.finalPass();
    let maxRemovals = MAX_REMOVALS_PER_RUN;
    if (record.outcome === 'held') {
      // What an operator does with a hold: release it from the console, for exactly that many.
      tally.releases += 1;
      const session = {
        userId: 'operator',
        name: 'Operator',
        userPrincipalName: 'operator@convergence.example',
        admin: true,
        sessionId: 'convergence',
        expiresAt: Date.now() + 60_000,
      };
      record = (await releaseHeldRemovals(this.services, session, record.runId)).run;
      maxRemovals = Infinity;
      this.trace.push(`released the hold: ${record.outcome}`);
    }
    if (record.outcome !== 'succeeded') this.fail(`final full pass: ${JSON.stringify(record)}`);
    await this.checkAlways(before, 'final full pass', { maxRemovals });
    const problems = desiredStateProblems(this.model, await this.read());
    if (problems.length > 0) this.fail(`after convergence: ${problems.join('; ')}`);
    this.tables.reset();
    const again = await this.finalPass();
    const writes = [this.tables.count('teams').writes, this.tables.count('users').writes];
    if (again.record.outcome !== 'succeeded' || writes.some((count) => count > 0)) {
      this.fail(`one more full pass: ${again.record.outcome}, writes ${JSON.stringify(writes)}`);
    }
  }

  private async finalPass() {
    try {
      return await reconcile(this.services, { trigger: 'cli' });
    } catch (error) {
      if (isServiceError(error, 'sync_refused') && this.model.assignedGroups().length === 0) {
        // No group is assigned any more: the operator consents to archiving every team.
        this.trace.push('no group assigned: full pass with --allow-empty-assignments');
        return reconcile(this.services, { trigger: 'cli', allowEmptyAssignments: true });
      }
      throw error;
    }
  }
}
