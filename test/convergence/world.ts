/**
 * One run of the convergence suite against the real parts: the simulated tenant (changed through
 * its admin API, which also feeds its delta and change notifications), Azurite's tables (a fresh
 * prefix per run) and queue, the sign-in handler, the webhook handler and the queue worker, delta
 * rounds and full passes. Each command is applied to the tenant and to the model alike.
 */
import { syncMe } from '../../functions/sync-me.js';
import { graphNotifications } from '../../functions/graph-notifications.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { releaseHeldRemovals } from '../../shared/console/release.js';
import { isServiceError } from '../../shared/errors.js';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { workGroupSyncMessage } from '../../shared/notifications/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import { createRepository, tableClientFactory, type TableRole } from '../../shared/store/index.js';
import type { EntityProperties } from '../../shared/store/entities.js';
import { deltaRound, reconcile } from '../../shared/sync/index.js';
import type { CurrentState } from '../../shared/sync/model.js';
import { CountingTables } from '../support/counting-tables.js';
import { invoke } from '../support/invoke.js';
import type { NotificationReceiver } from '../support/notification-receiver.js';
import { CLIENT_STATE, clear, drain } from '../support/notifications.js';
import { testSettings } from '../support/services.js';
import { uniqueTablePrefix } from '../support/tables.js';
import type { Command, TenantSpec } from './commands.js';
import {
  DEFAULT_ROLE,
  OPERATOR_ROLES,
  TenantModel,
  emailOf,
  pairKey,
  type AppRoleValue,
  type ModelGroup,
  type ModelUser,
} from './model.js';

/** Small enough that random runs cross it; large enough that one sign-in never does. */
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
export interface Tally {
  runs: number;
  commands: number;
  syncs: number;
  failedSyncs: number;
  heldRuns: number;
  signIns: number;
  notificationsWorked: number;
  releases: number;
}

export const tally: Tally = {
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
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function pick<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

/** Team-side and user-side membership rows: `team|user` → role and source. */
function memberships(state: CurrentState) {
  const teamSide = new Map<string, { role: string; source: string }>();
  const userSide = new Map<string, { role: string; source: string }>();
  for (const record of state.teams.values()) {
    for (const m of record.members.values()) {
      teamSide.set(pairKey(m.teamId, m.userId), { role: m.role, source: m.source });
    }
  }
  for (const record of state.users.values()) {
    for (const link of record.teams.values()) {
      userSide.set(pairKey(link.teamId, link.userId), { role: link.role, source: link.source });
    }
  }
  return { teamSide, userSide };
}

export class World {
  readonly model = new TenantModel();
  readonly services: Services;
  readonly tables: CountingTables;
  readonly trace: string[] = [];
  private readonly runTag: string;
  private users = 0;
  private renames = 0;

  constructor(
    private readonly shared: Shared,
    run: number,
  ) {
    this.runTag = hex(0xc0000000 + run, 8);
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
  }

  private get sim() {
    return this.shared.sim;
  }

  private fail(message: string): never {
    throw new Violation(`${message}\ntrace:\n  ${this.trace.join('\n  ')}`);
  }

  // ---- the tenant ---------------------------------------------------------------------------

  private newUser(): ModelUser {
    const n = this.users++;
    const user: ModelUser = {
      id: `${this.runTag}-0000-4000-8000-1${hex(n, 11)}`,
      displayName: `User ${n}`,
      userPrincipalName: `user${n}@convergence.example`,
      mail: n % 2 === 0 ? `User${n}@Convergence.example` : null,
      accountEnabled: true,
      deleted: false,
    };
    this.sim.admin.addUser({ ...user });
    this.model.users.set(user.id, user);
    return user;
  }

  private newGroup(index: number): ModelGroup {
    const group: ModelGroup = {
      id: `${this.runTag}-0000-4000-8000-2${hex(index, 11)}`,
      index,
      displayName: `Group ${index}`,
      members: new Set(),
      deleted: false,
    };
    this.sim.admin.addGroup({ id: group.id, displayName: group.displayName });
    this.model.groups.set(group.id, group);
    return group;
  }

  private assign(principalId: string, role: AppRoleValue) {
    if (this.model.groups.has(principalId)) {
      this.sim.admin.assignGroup(principalId, role === 'default' ? undefined : role);
    } else {
      this.sim.admin.assignUser(principalId, role === 'default' ? undefined : role);
    }
    const roles = this.model.assignments.get(principalId) ?? new Set<AppRoleValue>();
    roles.add(role);
    this.model.assignments.set(principalId, roles);
  }

  private addMember(group: ModelGroup, memberId: string) {
    if (group.members.has(memberId)) return;
    this.sim.admin.addMember(group.id, memberId);
    group.members.add(memberId);
  }

  private removeMember(group: ModelGroup, memberId: string) {
    this.sim.admin.removeMember(group.id, memberId);
    group.members.delete(memberId);
  }

  /** A fresh tenant (the simulated one reset, new ids) and empty tables. */
  async setUp(spec: TenantSpec): Promise<void> {
    this.sim.admin.reset();
    this.sim.faults.clear();
    this.sim.admin.clearFeedFaults();
    const users = Array.from({ length: spec.users }, () => this.newUser());
    const groups = spec.groups.map((_, index) => this.newGroup(index));
    spec.groups.forEach((groupSpec, index) => {
      const group = groups[index];
      if (group === undefined) return;
      for (const u of groupSpec.users) {
        const user = pick(users, u);
        if (user !== undefined) this.addMember(group, user.id);
      }
      const later = groups.slice(index + 1);
      for (const offset of groupSpec.nested) {
        const child = pick(later, offset);
        if (child !== undefined) this.addMember(group, child.id);
      }
      if (groupSpec.assignment !== 'none') this.assign(group.id, groupSpec.assignment);
    });
    for (const { user: u, role } of spec.directUsers) {
      const user = pick(users, u);
      if (user !== undefined) this.assign(user.id, role);
    }
    // What the set-up itself announced is not part of the run.
    await this.sim.admin.flushNotifications();
    this.shared.receiver.clear();
    await clear(this.shared.queueConnectionString);
    useServices(this.services);
    this.model.noteView();
    this.trace.push(`tenant ${JSON.stringify(spec)}`);
  }

  private applyEntra(command: Command): string | undefined {
    const { model } = this;
    const groups = model.liveGroups();
    const users = model.liveUsers();
    switch (command.kind) {
      case 'addMember': {
        const group = pick(groups, command.group);
        const user = pick(users, command.user);
        if (group === undefined || user === undefined || group.members.has(user.id)) return;
        this.addMember(group, user.id);
        return `add ${user.displayName} to ${group.displayName}`;
      }
      case 'removeMember': {
        const group = pick(groups, command.group);
        const userIds = [...(group?.members ?? [])].filter((id) => model.users.has(id));
        const userId = pick(userIds.sort(), command.pick);
        if (group === undefined || userId === undefined) return;
        this.removeMember(group, userId);
        return `remove ${model.users.get(userId)?.displayName} from ${group.displayName}`;
      }
      case 'nest': {
        const group = pick(groups, command.group);
        const later = groups.filter((g) => g.index > (group?.index ?? Infinity));
        const child = pick(later, command.child);
        if (group === undefined || child === undefined || group.members.has(child.id)) return;
        this.addMember(group, child.id);
        return `nest ${child.displayName} in ${group.displayName}`;
      }
      case 'unnest': {
        const group = pick(groups, command.group);
        const groupIds = [...(group?.members ?? [])].filter((id) => model.groups.has(id));
        const childId = pick(groupIds.sort(), command.pick);
        if (group === undefined || childId === undefined) return;
        this.removeMember(group, childId);
        return `unnest ${model.groups.get(childId)?.displayName} from ${group.displayName}`;
      }
      case 'rename': {
        const group = pick(groups, command.group);
        if (group === undefined) return;
        const name = `Group ${group.index} r${++this.renames}`;
        this.sim.admin.renameGroup(group.id, name);
        const before = group.displayName;
        group.displayName = name;
        return `rename ${before} to ${name}`;
      }
      case 'assignGroup': {
        const group = pick(groups, command.group);
        if (group === undefined) return;
        this.assign(group.id, command.role);
        return `assign ${group.displayName} (${command.role})`;
      }
      case 'unassignGroup': {
        const assigned = model.assignedGroups();
        const group = pick(assigned, command.group);
        if (group === undefined) return;
        this.sim.admin.unassignGroup(group.id);
        model.assignments.delete(group.id);
        return `unassign ${group.displayName}`;
      }
      case 'assignUser': {
        const user = pick(users, command.user);
        if (user === undefined) return;
        this.assign(user.id, command.role);
        return `assign ${user.displayName} directly (${command.role})`;
      }
      case 'unassignUser': {
        const assigned = users.filter((u) => model.isAssigned(u.id));
        const user = pick(assigned, command.user);
        if (user === undefined) return;
        this.sim.admin.unassignUser(user.id);
        model.assignments.delete(user.id);
        return `unassign ${user.displayName}`;
      }
      case 'disableUser':
      case 'enableUser': {
        const user = pick(users, command.user);
        const enabled = command.kind === 'enableUser';
        if (user === undefined || user.accountEnabled === enabled) return;
        if (enabled) this.sim.admin.enableUser(user.id);
        else this.sim.admin.disableUser(user.id);
        user.accountEnabled = enabled;
        return `${enabled ? 'enable' : 'disable'} ${user.displayName}`;
      }
      case 'updateUser': {
        const user = pick(users, command.user);
        if (user === undefined) return;
        const n = ++this.renames;
        const patch = { displayName: `${user.displayName} u${n}`, mail: `renamed${n}@Example.com` };
        this.sim.admin.updateUser(user.id, patch);
        Object.assign(user, patch);
        return `update ${user.id.slice(-3)} to ${patch.displayName}`;
      }
      case 'deleteUser': {
        const user = pick(users, command.user);
        if (user === undefined) return;
        this.sim.admin.deleteUser(user.id);
        user.deleted = true;
        for (const group of model.groups.values()) group.members.delete(user.id);
        model.assignments.delete(user.id);
        return `delete ${user.displayName}`;
      }
      case 'deleteGroup': {
        const group = pick(groups, command.group);
        if (group === undefined) return;
        this.sim.admin.deleteGroup(group.id);
        group.deleted = true;
        group.members.clear();
        for (const other of model.groups.values()) other.members.delete(group.id);
        model.assignments.delete(group.id);
        return `delete ${group.displayName}`;
      }
      case 'addUser': {
        const group = pick(groups, command.group);
        const user = this.newUser();
        if (group !== undefined) this.addMember(group, user.id);
        return `new ${user.displayName} in ${group?.displayName ?? 'no group'}`;
      }
      default:
        return undefined;
    }
  }

  // ---- syncs --------------------------------------------------------------------------------

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
      this.fail(`sign-in of ${user.displayName}: ${response.status} (expected ${expected}) ${response.text}`);
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
      if (response.status !== 202) this.fail(`webhook answered ${response.status}: ${response.text}`);
    }
    const messages = await drain(this.shared.queueConnectionString);
    const outcomes: string[] = [];
    for (const message of messages) {
      // The host's retries (maxDequeueCount 5): the same message again after a failure.
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const before = await this.read();
        tally.syncs += 1;
        try {
          await workGroupSyncMessage(message, this.services, { info: () => {}, warn: () => {} });
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

  // ---- the operator -------------------------------------------------------------------------

  /** What an operator (or the gateway) writes: an unconditional merge, as in Storage Explorer. */
  private async operatorWrites(
    role: TableRole,
    partitionKey: string,
    rowKey: string,
    properties: EntityProperties,
  ) {
    const client = await this.tables.table(role);
    await client.upsertEntity({ partitionKey, rowKey, ...properties }, 'Merge');
  }

  private async operatorEdit(command: Command): Promise<string | undefined> {
    const state = await this.read();
    const teamIds = [...state.teams.keys()].filter((id) => state.teams.get(id)?.team).sort();
    const userIds = [...state.users.keys()].filter((id) => state.users.get(id)?.user).sort();
    const { operator } = this.model;
    switch (command.kind) {
      case 'setBudget': {
        const teamId = pick(teamIds, command.team);
        if (teamId === undefined) return;
        await this.operatorWrites('teams', teamId, 'team', { maxBudget: command.budget });
        operator.budgets.set(teamId, command.budget);
        return `operator: budget of ${teamId.slice(-3)} = ${command.budget}`;
      }
      case 'setAlias': {
        const teamId = pick(teamIds, command.team);
        if (teamId === undefined) return;
        // Never a name a group has: an alias that equals the group's name follows it by rule.
        const alias = `Alias ${++this.renames}`;
        await this.operatorWrites('teams', teamId, 'team', { teamAlias: alias });
        operator.aliases.set(teamId, alias);
        return `operator: alias of ${teamId.slice(-3)} = ${alias}`;
      }
      case 'setRole': {
        const userId = pick(userIds, command.user);
        const role = OPERATOR_ROLES[command.role % OPERATOR_ROLES.length] ?? OPERATOR_ROLES[0];
        if (userId === undefined) return;
        await this.operatorWrites('users', userId, 'user', { userRole: role });
        operator.roles.set(userId, role);
        return `operator: role of ${userId.slice(-3)} = ${role}`;
      }
      case 'addManual': {
        const teamId = pick(teamIds, command.team);
        const userId = pick(userIds, command.user);
        if (teamId === undefined || userId === undefined) return;
        const addedAt = '2026-01-01T00:00:00.000Z';
        const fields = { role: command.role, source: 'manual', addedAt };
        await this.operatorWrites('teams', teamId, `member:${userId}`, { userId, ...fields });
        await this.operatorWrites('users', userId, `team:${teamId}`, { teamId, ...fields });
        operator.manual.set(pairKey(teamId, userId), { teamId, userId, role: command.role });
        return `operator: ${userId.slice(-3)} in ${teamId.slice(-3)} by hand (${command.role})`;
      }
      default:
        return undefined;
    }
  }

  // ---- one command, and the rules that hold after every one ---------------------------------

  async execute(command: Command): Promise<void> {
    tally.commands += 1;
    const before = await this.read();
    const check = (from: CurrentState, what: string) => this.checkAlways(from, what);
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
        line = await this.operatorEdit(command);
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
        line = this.applyEntra(command);
    }
    this.model.noteView();
    if (line !== undefined) this.trace.push(line);
    await this.checkAlways(before, line ?? command.kind);
  }

  /**
   * After every command: manual memberships and operator edits intact, no membership removed
   * that Entra still has, and no run removing more than the guard allows.
   */
  async checkAlways(before: CurrentState, what: string): Promise<void> {
    const after = await this.read();
    const { model } = this;
    const now = memberships(after);
    for (const [key, manual] of model.operator.manual) {
      for (const [side, rows] of Object.entries(now)) {
        const row = rows.get(key);
        if (row?.source !== 'manual' || row.role !== manual.role) {
          this.fail(`after "${what}": manual membership ${key} ${side} is ${JSON.stringify(row)}`);
        }
      }
    }
    for (const [teamId, budget] of model.operator.budgets) {
      const team = after.teams.get(teamId)?.team;
      if (team?.maxBudget !== budget) {
        this.fail(`after "${what}": budget of ${teamId} is ${team?.maxBudget} (operator set ${budget})`);
      }
    }
    for (const [teamId, alias] of model.operator.aliases) {
      const team = after.teams.get(teamId)?.team;
      if (team?.teamAlias !== alias) {
        this.fail(`after "${what}": alias of ${teamId} is ${team?.teamAlias} (operator set ${alias})`);
      }
    }
    for (const [userId, role] of model.operator.roles) {
      const user = after.users.get(userId)?.user;
      if (user?.userRole !== role) {
        this.fail(`after "${what}": role of ${userId} is ${user?.userRole} (operator set ${role})`);
      }
    }
    const then = memberships(before);
    let removed = 0;
    for (const [side, rows] of Object.entries(then)) {
      const kept = now[side as keyof typeof now];
      for (const [key, row] of rows) {
        if (row.source !== 'entra' || kept.has(key)) continue;
        if (side === 'teamSide') removed += 1;
        const [teamId = '', userId = ''] = key.split('|');
        if (model.entraMembersOf(teamId).has(userId)) {
          this.fail(`after "${what}": ${key} (${side}) removed while Entra still has it`);
        }
      }
    }
    if (removed > MAX_REMOVALS_PER_RUN) {
      this.fail(`after "${what}": ${removed} memberships removed in one run (guard ${MAX_REMOVALS_PER_RUN})`);
    }
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
    if (record.outcome === 'held') {
      // What an operator does with a hold: release it from the console.
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
      this.trace.push(`released the hold: ${record.outcome}`);
    }
    if (record.outcome !== 'succeeded') this.fail(`final full pass: ${JSON.stringify(record)}`);
    // The guard is per run, so a release may remove more than it; everything else still holds.
    await this.checkAlways(before, 'final full pass').catch((error: unknown) => {
      if (!(error instanceof Violation) || !/removed in one run/.test(error.message)) throw error;
    });
    await this.expectDesiredState();
    this.tables.reset();
    const again = await this.finalPass();
    const writes = ['teams', 'users'].map((role) => this.tables.count(role as TableRole).writes);
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

  /** The oracle: what the tables must hold, from the model alone. */
  private async expectDesiredState(): Promise<void> {
    const state = await this.read();
    const { model } = this;
    const { operator } = model;
    const expect = (ok: boolean, message: string) => {
      if (!ok) this.fail(`after convergence: ${message}`);
    };
    for (const group of model.assignedGroups()) {
      expect(state.teams.get(group.id)?.team !== undefined, `no team for ${group.displayName}`);
    }
    for (const [teamId, record] of state.teams) {
      const team = record.team;
      expect(team !== undefined, `partition ${teamId} has no team row`);
      if (team === undefined) continue;
      expect(model.everAssigned.has(teamId), `team ${teamId} for a group never assigned`);
      expect(team.source === 'entra' && team.entraGroupId === teamId, `team ${teamId} source`);
      expect(
        team.maxBudget === (operator.budgets.get(teamId) ?? 100) && team.budgetDuration === '30d',
        `team ${teamId} budget ${team.maxBudget}`,
      );
      const group = model.groups.get(teamId);
      if (model.isAssigned(teamId) && group !== undefined) {
        expect(!team.archived, `team ${group.displayName} archived`);
        expect(team.entraDisplayName === group.displayName, `team ${teamId} name ${team.entraDisplayName}`);
        const alias = operator.aliases.get(teamId) ?? group.displayName;
        expect(team.teamAlias === alias, `team ${teamId} alias ${team.teamAlias}, expected ${alias}`);
      } else {
        expect(team.archived, `team ${teamId} of an unassigned group is not archived`);
        const alias = operator.aliases.get(teamId);
        expect(alias === undefined || team.teamAlias === alias, `team ${teamId} alias`);
      }
    }

    const expected = model.expectedMemberships(state.teams.keys());
    const actual = memberships(state);
    for (const [side, rows] of Object.entries(actual)) {
      const show = (map: Map<string, unknown>) => JSON.stringify([...map].sort());
      expect(show(rows) === show(expected), `${side} memberships ${show(rows)}, expected ${show(expected)}`);
    }
    for (const record of state.teams.values()) {
      for (const member of record.members.values()) {
        const user = model.users.get(member.userId);
        if (member.source !== 'entra' || user === undefined) continue;
        const email = emailOf(user);
        expect(member.userEmail === email, `member ${member.userId} email ${member.userEmail}`);
      }
    }

    const inView = model.usersInView();
    for (const userId of state.users.keys()) {
      expect(model.everInView.has(userId), `user row ${userId} for a user never in view`);
    }
    for (const userId of inView) {
      const row = state.users.get(userId)?.user;
      const user = model.users.get(userId);
      expect(row !== undefined && user !== undefined, `no user row for ${userId}`);
      if (row === undefined || user === undefined) continue;
      if (user.deleted) {
        expect(row.deletedInEntra, `deleted user ${userId} not flagged`);
        continue;
      }
      const entraRole = model.entraRoleOf(userId);
      const wanted = {
        userEmail: emailOf(user),
        displayName: user.displayName,
        userPrincipalName: user.userPrincipalName,
        accountEnabled: user.accountEnabled,
        deletedInEntra: false,
        entraRole,
        userRole: operator.roles.get(userId) ?? entraRole,
        maxBudget: 10,
      };
      const got = Object.fromEntries(
        Object.keys(wanted).map((key) => [key, (row as unknown as Record<string, unknown>)[key]]),
      );
      expect(
        JSON.stringify(got) === JSON.stringify(wanted),
        `user ${userId}: ${JSON.stringify(got)}, expected ${JSON.stringify(wanted)}`,
      );
    }
  }
}
