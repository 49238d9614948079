/**
 * Entra changes in the simulated tenant (through its admin API, which also feeds its delta and
 * change notifications) and the same change in the model. Users, groups and teams are named by
 * index; an index is resolved against what exists (modulo the count), so every command is valid.
 */
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import type { Command, TenantSpec } from './commands.js';
import type { AppRoleValue, ModelGroup, ModelUser, TenantModel } from './model.js';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

export function pick<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

export class TenantDriver {
  private users = 0;
  /** Numbers new names, so that no name is ever given twice. */
  changes = 0;

  constructor(
    private readonly sim: SimulatedTenant,
    private readonly model: TenantModel,
    /** Eight hex digits of the run in every id, so no run sees another's objects. */
    private readonly runTag: string,
  ) {}

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

  /** A fresh tenant: the simulated one reset, with new ids, and the model alike. */
  setUp(spec: TenantSpec): void {
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
  }

  /** Applies an Entra change to both; answers what it did, or undefined when it did nothing. */
  apply(command: Command): string | undefined {
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
        const name = `Group ${group.index} r${++this.changes}`;
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
        const n = ++this.changes;
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
}
