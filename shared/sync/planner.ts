/**
 * The desired-state planner: given what Entra says (desired) and what the tables hold
 * (current), it returns the changes to make, each with its table writes. It is pure: no I/O,
 * no clock (the time comes in `options.now`), so every ownership rule of DESIGN.md is tested
 * here exhaustively, and the sign-in and reconciliation writers share it.
 */
import type { DefaultTeamParams, DefaultUserParams } from '../config/params.js';
import { SyncServiceError } from '../errors.js';
import type { EntraUser } from '../graph/directory.js';
import {
  writes,
  type Stored,
  type TableWrite,
  type Team,
  type TeamMember,
  type TeamRecord,
  type User,
  type UserRecord,
  type UserTeamLink,
} from '../store/index.js';

/** A user's profile as the contract stores it. */
export interface UserProfile {
  readonly userId: string;
  readonly userEmail: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly accountEnabled: boolean;
}

export function profileFromEntra(user: EntraUser): UserProfile {
  return {
    userId: user.id.toLowerCase(),
    userEmail: (user.mail ?? user.userPrincipalName).toLowerCase(),
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
  };
}

/**
 * `user`: a sign-in; only that user's memberships are in view and no team is archived.
 * `tenant`: reconciliation; every team and user is in view.
 */
export type PlanScope =
  { readonly kind: 'user'; readonly userId: string } | { readonly kind: 'tenant' };

export interface DesiredState {
  readonly scope: PlanScope;
  /** Groups assigned to the app (in `user` scope: those the user belongs to), by id. */
  readonly assignedGroups: ReadonlyMap<string, { readonly displayName: string }>;
  /**
   * Who should be an `entra` member of each team. A team that is not here has members that
   * could not be read: its memberships are left exactly as they are.
   */
  readonly members: ReadonlyMap<string, ReadonlySet<string>>;
  /** Profiles of the users in view; `null` for a user Entra no longer has. */
  readonly users: ReadonlyMap<string, UserProfile | null>;
}

export interface CurrentState {
  readonly teams: ReadonlyMap<string, TeamRecord>;
  readonly users: ReadonlyMap<string, UserRecord>;
}

export interface PlanOptions {
  /** ISO 8601 timestamp written into created entities. */
  readonly now: string;
  readonly actor: 'signin' | 'reconcile';
  readonly defaults: { readonly team: DefaultTeamParams; readonly user: DefaultUserParams };
  /** The mass-removal guard: more removals than this are all held. */
  readonly maxMembershipRemovals: number;
  /** Reconciliation only: an operator's explicit consent to archive every synced team. */
  readonly allowEmptyAssignments?: boolean;
}

export type ChangeKind =
  | 'team-created'
  | 'team-renamed'
  | 'team-archived'
  | 'team-restored'
  | 'user-created'
  | 'user-updated'
  | 'user-signed-in'
  | 'membership-added'
  | 'membership-removed'
  | 'membership-repaired';

export interface PlannedChange {
  readonly kind: ChangeKind;
  readonly teamId?: string;
  readonly userId?: string;
  /** Why, in words an operator reads in the audit log. */
  readonly reason: string;
  readonly writes: readonly TableWrite[];
}

export interface PlanSummary {
  teamsCreated: number;
  teamsRenamed: number;
  teamsArchived: number;
  teamsRestored: number;
  usersCreated: number;
  usersUpdated: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  membershipsRepaired: number;
  membershipsHeld: number;
  teamsHeld: number;
}

export interface Plan {
  readonly changes: readonly PlannedChange[];
  /** Changes the mass-removal guard held back; none of their writes are in `changes`. */
  readonly held: readonly PlannedChange[];
  readonly holdReason: string | undefined;
  readonly summary: PlanSummary;
}

export function planWrites(plan: Plan): TableWrite[] {
  return plan.changes.flatMap((change) => change.writes);
}

const ENTRA_MEMBER_ROLE = 'user';

function newTeam(groupId: string, displayName: string, options: PlanOptions): Team {
  const defaults = options.defaults.team;
  return {
    teamId: groupId,
    teamAlias: displayName,
    source: 'entra',
    entraGroupId: groupId,
    entraDisplayName: displayName,
    maxBudget: defaults.max_budget,
    budgetDuration: defaults.budget_duration,
    models: defaults.models ?? [],
    tpmLimit: defaults.tpm_limit,
    rpmLimit: defaults.rpm_limit,
    teamMemberPermissions: defaults.team_member_permissions ?? [],
    archived: false,
    createdAt: options.now,
    createdBy: options.actor,
  };
}

function newUser(profile: UserProfile, options: PlanOptions, signingIn: boolean): User {
  const defaults = options.defaults.user;
  return {
    ...profile,
    userRole: defaults.user_role ?? 'internal_user',
    maxBudget: defaults.max_budget,
    budgetDuration: defaults.budget_duration,
    models: defaults.models ?? [],
    tpmLimit: defaults.tpm_limit,
    rpmLimit: defaults.rpm_limit,
    source: 'entra',
    deletedInEntra: false,
    createdAt: options.now,
    lastSignInAt: signingIn ? options.now : undefined,
  };
}

function profileChanges(user: Stored<User>, profile: UserProfile): Partial<User> {
  const changes: { -readonly [K in keyof User]?: User[K] } = {};
  if (user.userEmail !== profile.userEmail) changes.userEmail = profile.userEmail;
  if (user.displayName !== profile.displayName) changes.displayName = profile.displayName;
  if (user.userPrincipalName !== profile.userPrincipalName) {
    changes.userPrincipalName = profile.userPrincipalName;
  }
  if (user.accountEnabled !== profile.accountEnabled) {
    changes.accountEnabled = profile.accountEnabled;
  }
  if (user.deletedInEntra) changes.deletedInEntra = false;
  return changes;
}

class PlanBuilder {
  readonly changes: PlannedChange[] = [];

  add(change: PlannedChange): void {
    this.changes.push(change);
  }
}

function planTeams(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
  plan: PlanBuilder,
) {
  for (const [groupId, group] of desired.assignedGroups) {
    const team = current.teams.get(groupId)?.team;
    if (team === undefined) {
      plan.add({
        kind: 'team-created',
        teamId: groupId,
        reason: `group "${group.displayName}" is assigned to the app`,
        writes: [writes.createTeam(newTeam(groupId, group.displayName, options))],
      });
      continue;
    }
    // A team an operator made by hand keeps its row as it is, whatever its id.
    if (team.source !== 'entra') continue;
    const changes: { -readonly [K in keyof Team]?: Team[K] } = {};
    const renamed = team.entraDisplayName !== group.displayName;
    if (renamed) {
      changes.entraDisplayName = group.displayName;
      // The alias follows only while nobody has chosen another one.
      if (team.teamAlias === team.entraDisplayName || team.entraDisplayName === undefined) {
        changes.teamAlias = group.displayName;
      }
    }
    if (team.archived) {
      changes.archived = false;
      changes.archivedAt = '';
      changes.archivedReason = '';
    }
    if (Object.keys(changes).length === 0) continue;
    const write = writes.updateTeam(groupId, changes, team.etag);
    if (renamed) {
      plan.add({
        kind: 'team-renamed',
        teamId: groupId,
        reason: `group renamed from "${team.entraDisplayName ?? ''}" to "${group.displayName}"${
          changes.teamAlias === undefined ? ' (alias chosen by an operator kept)' : ''
        }`,
        writes: [write],
      });
    }
    if (team.archived) {
      plan.add({
        kind: 'team-restored',
        teamId: groupId,
        reason: `group "${group.displayName}" is assigned to the app again`,
        writes: renamed ? [] : [write],
      });
    }
  }

  if (desired.scope.kind !== 'tenant') return;
  for (const [teamId, record] of current.teams) {
    const team = record.team;
    if (team?.source !== 'entra' || team.archived || desired.assignedGroups.has(teamId)) continue;
    // Graph lists only what is assigned: an unassigned group and a deleted one look the same.
    const reason = 'group no longer assigned to the app (or deleted)';
    plan.add({
      kind: 'team-archived',
      teamId,
      reason,
      writes: [
        writes.updateTeam(
          teamId,
          { archived: true, archivedAt: options.now, archivedReason: reason },
          team.etag,
        ),
      ],
    });
  }
}

function planUsers(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
  plan: PlanBuilder,
) {
  const signingIn = desired.scope.kind === 'user' ? desired.scope.userId : undefined;
  for (const [userId, profile] of desired.users) {
    const user = current.users.get(userId)?.user;
    if (profile === null) {
      if (user !== undefined && !user.deletedInEntra) {
        plan.add({
          kind: 'user-updated',
          userId,
          reason: 'user deleted in Entra ID',
          writes: [writes.updateUser(userId, { deletedInEntra: true }, user.etag)],
        });
      }
      continue;
    }
    if (user === undefined) {
      plan.add({
        kind: 'user-created',
        userId,
        reason: signingIn === userId ? 'first sign-in' : 'member of a synced group',
        writes: [writes.createUser(newUser(profile, options, signingIn === userId))],
      });
      continue;
    }
    const changes = profileChanges(user, profile);
    const changed = Object.keys(changes);
    if (signingIn === userId) {
      plan.add({
        kind: changed.length > 0 ? 'user-updated' : 'user-signed-in',
        userId,
        reason:
          changed.length > 0 ? `profile changed in Entra ID: ${changed.join(', ')}` : 'signed in',
        writes: [writes.updateUser(userId, { ...changes, lastSignInAt: options.now }, user.etag)],
      });
    } else if (changed.length > 0) {
      plan.add({
        kind: 'user-updated',
        userId,
        reason: `profile changed in Entra ID: ${changed.join(', ')}`,
        writes: [writes.updateUser(userId, changes, user.etag)],
      });
    }
  }
}

/** Who should be a member of each team in view; undefined = unknown, leave it alone. */
function desiredMembersOf(
  teamId: string,
  desired: DesiredState,
  current: CurrentState,
): ReadonlySet<string> | undefined {
  const listed = desired.members.get(teamId);
  if (listed !== undefined) return listed;
  if (desired.scope.kind !== 'tenant' || desired.assignedGroups.has(teamId)) return undefined;
  // Not assigned: an Entra team (or a partition with no team row) keeps no Entra members;
  // a team made by hand keeps whatever it has.
  return current.teams.get(teamId)?.team?.source === 'manual' ? undefined : new Set();
}

function mirrorOf(member: TeamMember): UserTeamLink {
  return {
    userId: member.userId,
    teamId: member.teamId,
    role: member.role,
    source: member.source,
    addedAt: member.addedAt,
  };
}

function planMemberships(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
  plan: PlanBuilder,
) {
  const linksByTeam = new Map<string, Map<string, Stored<UserTeamLink>>>();
  for (const record of current.users.values()) {
    for (const link of record.teams.values()) {
      const links = linksByTeam.get(link.teamId) ?? new Map<string, Stored<UserTeamLink>>();
      links.set(link.userId, link);
      linksByTeam.set(link.teamId, links);
    }
  }
  const teamIds = new Set([
    ...desired.assignedGroups.keys(),
    ...desired.members.keys(),
    ...(desired.scope.kind === 'tenant' ? [...current.teams.keys(), ...linksByTeam.keys()] : []),
  ]);

  for (const teamId of [...teamIds].sort()) {
    const wanted = desiredMembersOf(teamId, desired, current);
    if (wanted === undefined) continue;
    const teamSide = current.teams.get(teamId)?.members ?? new Map<string, Stored<TeamMember>>();
    const userSide = linksByTeam.get(teamId) ?? new Map<string, Stored<UserTeamLink>>();
    const userIds = new Set([...wanted, ...teamSide.keys(), ...userSide.keys()]);
    for (const userId of [...userIds].sort()) {
      planPair(teamId, userId, wanted.has(userId), teamSide.get(userId), userSide.get(userId));
    }
  }

  function planPair(
    teamId: string,
    userId: string,
    wanted: boolean,
    member: Stored<TeamMember> | undefined,
    link: Stored<UserTeamLink> | undefined,
  ) {
    const profile = desired.users.get(userId) ?? undefined;
    if (wanted && member === undefined && link === undefined) {
      plan.add({
        kind: 'membership-added',
        teamId,
        userId,
        reason: 'member of the group in Entra ID',
        writes: writes.createMembership({
          teamId,
          userId,
          role: ENTRA_MEMBER_ROLE,
          source: 'entra',
          addedAt: options.now,
          userEmail: profile?.userEmail,
        }),
      });
      return;
    }
    const entraOwned = member !== undefined ? member.source === 'entra' : link?.source === 'entra';
    if (!wanted && entraOwned) {
      const removal: TableWrite[] = [];
      if (member !== undefined) removal.push(writes.deleteTeamMember(teamId, userId, member.etag));
      if (link !== undefined) removal.push(writes.deleteUserTeamLink(userId, teamId, link.etag));
      plan.add({
        kind: 'membership-removed',
        teamId,
        userId,
        reason: desired.assignedGroups.has(teamId)
          ? 'no longer a member of the group in Entra ID'
          : 'the team is no longer synced from an assigned group',
        writes: removal,
      });
      return;
    }
    planRepair(teamId, userId, member, link, wanted ? profile : undefined);
  }

  /** Makes the two sides of a membership equal, the team side being the reference. */
  function planRepair(
    teamId: string,
    userId: string,
    member: Stored<TeamMember> | undefined,
    link: Stored<UserTeamLink> | undefined,
    profile: UserProfile | undefined,
  ) {
    const repairs: TableWrite[] = [];
    if (member !== undefined && link === undefined) {
      repairs.push(writes.createUserTeamLink(mirrorOf(member)));
    } else if (member === undefined && link !== undefined) {
      // Only an Entra membership may be completed from its mirror: a manual one with its team
      // side gone was most likely removed by an operator who missed the other half.
      if (link.source !== 'entra') return;
      repairs.push(writes.createTeamMember({ ...link, userEmail: profile?.userEmail }));
    } else if (member !== undefined && link !== undefined) {
      if (member.role !== link.role || member.source !== link.source) {
        repairs.push({
          table: 'users',
          action: 'merge',
          partitionKey: userId,
          rowKey: `team:${teamId}`,
          properties: { role: member.role, source: member.source },
          etag: link.etag,
        });
      }
      if (
        member.source === 'entra' &&
        profile !== undefined &&
        member.userEmail !== profile.userEmail
      ) {
        repairs.push({
          table: 'teams',
          action: 'merge',
          partitionKey: teamId,
          rowKey: `member:${userId}`,
          properties: { userEmail: profile.userEmail },
          etag: member.etag,
        });
      }
    }
    if (repairs.length === 0) return;
    plan.add({
      kind: 'membership-repaired',
      teamId,
      userId,
      reason: 'the two sides of the membership differed',
      writes: repairs,
    });
  }
}

function summarise(changes: readonly PlannedChange[], held: readonly PlannedChange[]): PlanSummary {
  const count = (list: readonly PlannedChange[], kind: ChangeKind) =>
    list.filter((change) => change.kind === kind).length;
  return {
    teamsCreated: count(changes, 'team-created'),
    teamsRenamed: count(changes, 'team-renamed'),
    teamsArchived: count(changes, 'team-archived'),
    teamsRestored: count(changes, 'team-restored'),
    usersCreated: count(changes, 'user-created'),
    usersUpdated: count(changes, 'user-updated'),
    membershipsAdded: count(changes, 'membership-added'),
    membershipsRemoved: count(changes, 'membership-removed'),
    membershipsRepaired: count(changes, 'membership-repaired'),
    membershipsHeld: count(held, 'membership-removed'),
    teamsHeld: count(held, 'team-archived'),
  };
}

export function planSync(desired: DesiredState, current: CurrentState, options: PlanOptions): Plan {
  if (desired.scope.kind === 'tenant' && desired.assignedGroups.size === 0) {
    const synced = [...current.teams.values()].filter(
      (record) => record.team?.source === 'entra' && !record.team.archived,
    ).length;
    if (synced > 0 && options.allowEmptyAssignments !== true) {
      throw new SyncServiceError(
        'sync_refused',
        `Entra ID reports no group assigned to the app while ${synced} synced team(s) exist; ` +
          'refusing to archive them all. If every group really was unassigned, run ' +
          '`npm run sync -- --allow-empty-assignments` once.',
      );
    }
  }

  const plan = new PlanBuilder();
  planTeams(desired, current, options, plan);
  planUsers(desired, current, options, plan);
  planMemberships(desired, current, options, plan);

  const removals = plan.changes.filter((change) => change.kind === 'membership-removed').length;
  if (removals > options.maxMembershipRemovals) {
    const holds = (change: PlannedChange) =>
      change.kind === 'membership-removed' || change.kind === 'team-archived';
    const held = plan.changes.filter(holds);
    const applied = plan.changes.filter((change) => !holds(change));
    return {
      changes: applied,
      held,
      holdReason:
        `${removals} membership removals exceed MAX_MEMBERSHIP_REMOVALS_PER_RUN ` +
        `(${options.maxMembershipRemovals}): every removal and archive is held; additions applied`,
      summary: summarise(applied, held),
    };
  }
  return {
    changes: plan.changes,
    held: [],
    holdReason: undefined,
    summary: summarise(plan.changes, []),
  };
}
