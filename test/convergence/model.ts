/**
 * The convergence suite's own picture of the world, written without the planner: the tenant
 * (users, groups with nested groups, app role assignments) as the commands change it, what the
 * operator did by hand, and the oracle that says from these alone what the tables must hold
 * after a fault-free full pass (DESIGN.md, "Ownership" and "Who gets a user row, and which role").
 */

/** App role values of the suite's app; each maps to the MishikaLLM role of the same name. */
export type AppRoleValue = 'default' | 'internal_user' | 'proxy_admin';

/**
 * Roles an operator gives by hand: never one Entra gives in this model, so an operator's role
 * can always be told from one that follows Entra (the documented rule compares values; an
 * operator's role that happens to equal Entra's is indistinguishable from following it).
 */
export const OPERATOR_ROLES = ['proxy_admin_viewer', 'internal_user_viewer'] as const;
export const DEFAULT_ROLE = 'internal_user';
export const DEFAULT_TEAM_BUDGET = 100;
export const DEFAULT_USER_BUDGET = 10;

export interface ModelUser {
  readonly id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  deleted: boolean;
}

export interface ModelGroup {
  readonly id: string;
  /** Position in creation order: a group only ever contains groups created after it (no cycles). */
  readonly index: number;
  displayName: string;
  /** Direct members: user ids and group ids. */
  readonly members: Set<string>;
  deleted: boolean;
}

export interface ManualMembership {
  readonly teamId: string;
  readonly userId: string;
  readonly role: 'user' | 'admin';
}

export class TenantModel {
  readonly users = new Map<string, ModelUser>();
  readonly groups = new Map<string, ModelGroup>();
  /** App roles assigned to each principal (user or group). */
  readonly assignments = new Map<string, Set<AppRoleValue>>();
  /** What the operator set by hand; none of it may ever be overwritten. */
  readonly operator = {
    budgets: new Map<string, number>(),
    aliases: new Map<string, string>(),
    roles: new Map<string, string>(),
    manual: new Map<string, ManualMembership>(),
  };
  /** Groups that were ever assigned: the only ones that may have a team row. */
  readonly everAssigned = new Set<string>();
  /** Users that were ever in a sync's view: the only ones that may have a user row. */
  readonly everInView = new Set<string>();

  liveUsers(): ModelUser[] {
    return [...this.users.values()].filter((user) => !user.deleted);
  }

  liveGroups(): ModelGroup[] {
    return [...this.groups.values()].filter((group) => !group.deleted);
  }

  isAssigned(principalId: string): boolean {
    const principal = this.groups.get(principalId) ?? this.users.get(principalId);
    return (
      principal !== undefined &&
      !principal.deleted &&
      (this.assignments.get(principalId)?.size ?? 0) > 0
    );
  }

  assignedGroups(): ModelGroup[] {
    return this.liveGroups().filter((group) => this.isAssigned(group.id));
  }

  /** Users in a group, through nested groups (deleted objects are gone from every group). */
  transitiveMembers(groupId: string): Set<string> {
    const found = new Set<string>();
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const member of this.groups.get(id)?.members ?? []) {
        if (this.users.has(member)) found.add(member);
        else visit(member);
      }
    };
    visit(groupId);
    return found;
  }

  /** Who Entra says belongs to a team: the transitive members of its assigned group. */
  entraMembersOf(teamId: string): Set<string> {
    return this.isAssigned(teamId) ? this.transitiveMembers(teamId) : new Set();
  }

  /** Whether a user may sign in: in an assigned group (transitively) or assigned directly. */
  userIsAssigned(userId: string): boolean {
    if (this.users.get(userId)?.deleted !== false) return false;
    if (this.isAssigned(userId)) return true;
    return this.assignedGroups().some((group) => this.transitiveMembers(group.id).has(userId));
  }

  /**
   * Users a full pass certainly reads from Entra: assigned ones, and members of a team by hand
   * (a deleted one among them is flagged).
   */
  usersInView(): Set<string> {
    const inView = new Set(
      this.liveUsers()
        .filter((u) => this.userIsAssigned(u.id))
        .map((u) => u.id),
    );
    for (const { userId } of this.operator.manual.values()) inView.add(userId);
    return inView;
  }

  /**
   * The role Entra's app roles give a user: their own assignments and those of the assigned
   * groups they are a direct member of (group assignment does not follow nesting).
   */
  entraRoleOf(userId: string): string {
    const values = new Set(this.assignments.get(userId) ?? []);
    for (const group of this.assignedGroups()) {
      if (!group.members.has(userId)) continue;
      for (const value of this.assignments.get(group.id) ?? []) values.add(value);
    }
    return values.has('proxy_admin') ? 'proxy_admin' : DEFAULT_ROLE;
  }

  /** Memberships that must exist, `team|user` → role and source. */
  expectedMemberships(teamIds: Iterable<string>): Map<string, { role: string; source: string }> {
    const expected = new Map<string, { role: string; source: string }>();
    for (const teamId of teamIds) {
      for (const userId of this.entraMembersOf(teamId)) {
        expected.set(pairKey(teamId, userId), { role: 'user', source: 'entra' });
      }
    }
    for (const manual of this.operator.manual.values()) {
      expected.set(pairKey(manual.teamId, manual.userId), { role: manual.role, source: 'manual' });
    }
    return expected;
  }

  /** Remembers who and what a sync could have seen at this point. */
  noteView(): void {
    for (const group of this.assignedGroups()) this.everAssigned.add(group.id);
    for (const userId of this.usersInView()) this.everInView.add(userId);
  }
}

export function pairKey(teamId: string, userId: string): string {
  return `${teamId}|${userId}`;
}

export function emailOf(user: ModelUser): string {
  return (user.mail ?? user.userPrincipalName).toLowerCase();
}
