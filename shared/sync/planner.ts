/**
 * The desired-state planner: given what Entra says (desired) and what the tables hold
 * (current), it returns the domain operations that make the tables agree. It is pure: no I/O,
 * no clock (the time comes in `options.now`), and no value from the store or Graph (types
 * only), so every ownership rule of DESIGN.md is tested here exhaustively, and every trigger
 * shares it.
 */
import type { DefaultTeamParams, DefaultUserParams, UserRole } from '../config/params.js';
import { SyncServiceError } from '../errors.js';
import type {
  CurrentState,
  Stored,
  Team,
  TeamMember,
  User,
  UserProfile,
  UserTeamLink,
} from './model.js';
import { holdsRemovalsOf, type GuardHold } from './guard-hold.js';
import { teamOf, type Operation, type SideRepair, type UserChanges } from './operations.js';
import type { SyncScope } from './scope.js';

export interface DesiredState {
  readonly scope: SyncScope;
  /**
   * Groups assigned to the app, by id: in `user` scope those the user belongs to, in `groups`
   * scope those of the scope that are still assigned.
   */
  readonly assignedGroups: ReadonlyMap<string, { readonly displayName: string }>;
  /**
   * Who should be an `entra` member of each team. A team that is not here has members that
   * could not be read: its memberships are left exactly as they are.
   */
  readonly members: ReadonlyMap<string, ReadonlySet<string>>;
  /** Profiles of the users in view; `null` for a user Entra no longer has. */
  readonly users: ReadonlyMap<string, UserProfile | null>;
  /**
   * What Entra's app roles say of the users in view whose roles are known: the most privileged
   * role theirs map to, or `undefined` when none of theirs maps (the default role applies).
   * Absent when no app role of the app maps to a MishikaLLM role: roles are then not synced
   * (v1). A user missing from the map keeps `userRole` and `entraRole` as they are.
   */
  readonly entraRoles?: ReadonlyMap<string, UserRole | undefined> | undefined;
}

export interface PlanOptions {
  /** ISO 8601 timestamp written into created rows. */
  readonly now: string;
  /** `createdBy` of the teams this plan creates. */
  readonly actor: 'signin' | 'reconcile' | 'delta' | 'notification';
  readonly defaults: { readonly team: DefaultTeamParams; readonly user: DefaultUserParams };
  /** The mass-removal guard: more removals than this are all held. */
  readonly maxMembershipRemovals: number;
  /** Tenant scope only: an operator's explicit consent to archive every synced team. */
  readonly allowEmptyAssignments?: boolean | undefined;
  /**
   * Groups scope: a team with at least this many Entra members whose group now lists nobody (or
   * is unassigned) keeps them: the removals and the archive are held for the full pass.
   */
  readonly holdEmptiedTeamsFrom?: number | undefined;
  /**
   * Groups scope: the hold a full pass left. The removals and archives it held stay held here
   * too, so a notification or a delta round cannot apply, team by team, what the guard held.
   */
  readonly standingHold?: GuardHold | undefined;
  /**
   * A share of a fanned-out full pass: the guard counts the whole run, not this plan, so the run
   * holds every removal and archive, for this reason (or, before the run has decided, to count
   * them). `maxMembershipRemovals` then sees none.
   */
  readonly holdRemovals?: string | undefined;
}

export interface Plan {
  readonly operations: readonly Operation[];
  /** Operations the mass-removal guard held back; none of them is in `operations`. */
  readonly held: readonly Operation[];
  readonly holdReason: string | undefined;
}

const ENTRA_MEMBER_ROLE = 'user';
const UNASSIGNED_REASON = 'group no longer assigned to the app (or deleted)';

/** Whether a team is in the plan's view at all; outside it nothing is planned. */
function teamInView(scope: SyncScope, teamId: string): boolean {
  return scope.kind !== 'groups' || scope.groupIds.has(teamId);
}

/** Whether the scope sees every assignment of its teams, so that a missing one means unassigned. */
function seesUnassigned(scope: SyncScope): boolean {
  return scope.kind !== 'user';
}

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

function defaultRole(options: PlanOptions): string {
  return options.defaults.user.user_role ?? 'internal_user';
}

/** The role Entra gives a user in view; undefined when roles are not synced or not known. */
function entraRoleFor(userId: string, desired: DesiredState, options: PlanOptions) {
  const roles = desired.entraRoles;
  if (roles?.has(userId) !== true) return undefined;
  return roles.get(userId) ?? defaultRole(options);
}

/**
 * `entraRole` records what Entra implies; `userRole` follows it only while it still equals the
 * previous `entraRole`, so a role an operator chose is kept (as a team alias is). A row written
 * before `entraRole` existed is read as if its previous Entra role were the default role: every
 * row was created with the default role, so a `userRole` that still equals it follows Entra, and
 * any other value is an operator's edit and is kept.
 */
function roleChanges(user: Stored<User>, entraRole: string | undefined, options: PlanOptions) {
  if (entraRole === undefined) return undefined;
  const previous = user.entraRole ?? defaultRole(options);
  const follows = user.userRole === previous;
  const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
  if (user.entraRole !== entraRole) changes.entraRole = entraRole;
  if (follows && user.userRole !== entraRole) changes.userRole = entraRole;
  if (Object.keys(changes).length === 0) return undefined;
  const reason =
    previous === entraRole
      ? `Entra role ${entraRole} recorded`
      : `Entra role changed from ${previous} to ${entraRole}${
          follows ? '' : ` (role ${user.userRole} chosen by an operator kept)`
        }`;
  return { changes, reason };
}

function newUser(
  profile: UserProfile,
  entraRole: string | undefined,
  options: PlanOptions,
  signingIn: boolean,
): User {
  const defaults = options.defaults.user;
  return {
    ...profile,
    userRole: entraRole ?? defaultRole(options),
    entraRole,
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

function profileChanges(user: Stored<User>, profile: UserProfile): UserChanges {
  const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
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

function planTeams(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
  plan: Operation[],
) {
  for (const [groupId, group] of desired.assignedGroups) {
    if (!teamInView(desired.scope, groupId)) continue;
    const team = current.teams.get(groupId)?.team;
    if (team === undefined) {
      plan.push({
        kind: 'team-created',
        teamId: groupId,
        team: newTeam(groupId, group.displayName, options),
        reason: `group "${group.displayName}" is assigned to the app`,
      });
      continue;
    }
    // A team an operator made by hand keeps its row as it is, whatever its id.
    if (team.source !== 'entra') continue;
    if (team.entraDisplayName !== group.displayName) {
      // The alias follows only while nobody has chosen another one.
      const aliasFollows =
        team.teamAlias === team.entraDisplayName || team.entraDisplayName === undefined;
      plan.push({
        kind: 'team-renamed',
        teamId: groupId,
        etag: team.etag,
        entraDisplayName: group.displayName,
        teamAlias: aliasFollows ? group.displayName : undefined,
        reason: `group renamed from "${team.entraDisplayName ?? ''}" to "${group.displayName}"${
          aliasFollows ? '' : ' (alias chosen by an operator kept)'
        }`,
      });
    }
    if (team.archived) {
      plan.push({
        kind: 'team-restored',
        teamId: groupId,
        etag: team.etag,
        reason: `group "${group.displayName}" is assigned to the app again`,
      });
    }
  }

  if (!seesUnassigned(desired.scope)) return;
  for (const [teamId, record] of current.teams) {
    const team = record.team;
    if (!teamInView(desired.scope, teamId)) continue;
    if (team?.source !== 'entra' || team.archived || desired.assignedGroups.has(teamId)) continue;
    // Graph lists only what is assigned: an unassigned group and a deleted one look the same.
    plan.push({
      kind: 'team-archived',
      teamId,
      etag: team.etag,
      archivedAt: options.now,
      archivedReason: UNASSIGNED_REASON,
      reason: UNASSIGNED_REASON,
    });
  }
}

function planUsers(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
  plan: Operation[],
) {
  const signingIn = desired.scope.kind === 'user' ? desired.scope.userId : undefined;
  let groupMembers: ReadonlySet<string> | undefined;
  const creationReason = (userId: string) => {
    if (signingIn === userId) return 'first sign-in';
    groupMembers ??= new Set([...desired.members.values()].flatMap((members) => [...members]));
    return groupMembers.has(userId) ? 'member of a synced group' : 'assigned to the app directly';
  };
  for (const [userId, profile] of desired.users) {
    if (current.unreadUsers?.has(userId) === true) continue;
    const user = current.users.get(userId)?.user;
    if (profile === null) {
      if (user !== undefined && !user.deletedInEntra) {
        plan.push({
          kind: 'user-updated',
          userId,
          etag: user.etag,
          changes: { deletedInEntra: true },
          reason: 'user deleted in Entra ID',
        });
      }
      continue;
    }
    const entraRole = entraRoleFor(userId, desired, options);
    if (user === undefined) {
      plan.push({
        kind: 'user-created',
        userId,
        user: newUser(profile, entraRole, options, signingIn === userId),
        reason: creationReason(userId),
      });
      continue;
    }
    const changes = profileChanges(user, profile);
    const changed = Object.keys(changes);
    const role = roleChanges(user, entraRole, options);
    if (changed.length > 0 || role !== undefined) {
      const reasons = [
        ...(changed.length > 0 ? [`profile changed in Entra ID: ${changed.join(', ')}`] : []),
        ...(role === undefined ? [] : [role.reason]),
      ];
      plan.push({
        kind: 'user-updated',
        userId,
        etag: user.etag,
        changes: { ...changes, ...role?.changes },
        reason: reasons.join('; '),
      });
    }
    if (signingIn === userId) {
      plan.push({
        kind: 'user-signed-in',
        userId,
        etag: user.etag,
        signedInAt: options.now,
        reason: 'signed in',
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
  if (!seesUnassigned(desired.scope) || desired.assignedGroups.has(teamId)) return undefined;
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

function teamsInView(desired: DesiredState, current: CurrentState, linkedTeams: Iterable<string>) {
  const { scope } = desired;
  const candidates = [
    ...desired.assignedGroups.keys(),
    ...desired.members.keys(),
    ...(scope.kind === 'tenant' ? [...current.teams.keys(), ...linkedTeams] : []),
    ...(scope.kind === 'groups' ? scope.groupIds : []),
  ];
  return [...new Set(candidates)].filter((teamId) => teamInView(scope, teamId)).sort();
}

function planMemberships(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
  plan: Operation[],
) {
  const linksByTeam = new Map<string, Map<string, Stored<UserTeamLink>>>();
  for (const record of current.users.values()) {
    for (const link of record.teams.values()) {
      const links = linksByTeam.get(link.teamId) ?? new Map<string, Stored<UserTeamLink>>();
      links.set(link.userId, link);
      linksByTeam.set(link.teamId, links);
    }
  }

  for (const teamId of teamsInView(desired, current, linksByTeam.keys())) {
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
    // Its membership did not change and its partition was not read: nothing to plan.
    if (link === undefined && current.unreadUsers?.has(userId) === true) return;
    const profile = desired.users.get(userId) ?? undefined;
    if (wanted && member === undefined && link === undefined) {
      plan.push({
        kind: 'membership-added',
        teamId,
        userId,
        member: {
          teamId,
          userId,
          role: ENTRA_MEMBER_ROLE,
          source: 'entra',
          addedAt: options.now,
          userEmail: profile?.userEmail,
        },
        reason: 'member of the group in Entra ID',
      });
      return;
    }
    const entraOwned = member !== undefined ? member.source === 'entra' : link?.source === 'entra';
    if (!wanted && entraOwned) {
      plan.push({
        kind: 'membership-removed',
        teamId,
        userId,
        teamSideEtag: member?.etag,
        userSideEtag: link?.etag,
        reason: desired.assignedGroups.has(teamId)
          ? 'no longer a member of the group in Entra ID'
          : 'the team is no longer synced from an assigned group',
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
    let userSide: SideRepair<UserTeamLink> | undefined;
    let teamSide: SideRepair<TeamMember> | undefined;
    if (member !== undefined && link === undefined) {
      userSide = { create: mirrorOf(member) };
    } else if (member === undefined && link !== undefined) {
      // Only an Entra membership may be completed from its mirror: a manual one with its team
      // side gone was most likely removed by an operator who missed the other half.
      if (link.source !== 'entra') return;
      const { etag: _etag, ...fields } = link;
      teamSide = { create: { ...fields, userEmail: profile?.userEmail } };
    } else if (member !== undefined && link !== undefined) {
      if (member.role !== link.role || member.source !== link.source) {
        userSide = { etag: link.etag, set: { role: member.role, source: member.source } };
      }
      if (
        member.source === 'entra' &&
        profile !== undefined &&
        member.userEmail !== profile.userEmail
      ) {
        teamSide = { etag: member.etag, set: { userEmail: profile.userEmail } };
      }
    }
    if (userSide === undefined && teamSide === undefined) return;
    plan.push({
      kind: 'membership-repaired',
      teamId,
      userId,
      userSide,
      teamSide,
      reason: 'the two sides of the membership differed',
    });
  }
}

function refuseEmptyAssignments(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions,
) {
  if (desired.scope.kind !== 'tenant' || desired.assignedGroups.size > 0) return;
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

/**
 * Teams of at least `minimum` Entra members whose group now lists nobody (or is no longer
 * assigned), and which the plan would therefore strip of every Entra member.
 */
function emptiedTeams(
  operations: readonly Operation[],
  desired: DesiredState,
  current: CurrentState,
  minimum: number,
): Map<string, number> {
  const removed = new Set(
    operations.flatMap((operation) =>
      operation.kind === 'membership-removed' ? [operation.teamId] : [],
    ),
  );
  const emptied = new Map<string, number>();
  for (const teamId of removed) {
    const groupLooksEmpty =
      !desired.assignedGroups.has(teamId) || desired.members.get(teamId)?.size === 0;
    const entraMembers = [...(current.teams.get(teamId)?.members.values() ?? [])].filter(
      (member) => member.source === 'entra',
    ).length;
    if (groupLooksEmpty && entraMembers >= minimum) emptied.set(teamId, entraMembers);
  }
  return emptied;
}

/** Why the mass-removal guard held a run's removals; a fanned-out pass says it of the whole run. */
export function removalGuardReason(removals: number, limit: number): string {
  return (
    `${removals} membership removals exceed MAX_MEMBERSHIP_REMOVALS_PER_RUN ` +
    `(${limit}): every removal and archive is held; additions applied`
  );
}

export const isRemoval = (operation: Operation): boolean =>
  operation.kind === 'membership-removed' || operation.kind === 'team-archived';

export function planSync(desired: DesiredState, current: CurrentState, options: PlanOptions): Plan {
  refuseEmptyAssignments(desired, current, options);

  const planned: Operation[] = [];
  planTeams(desired, current, options, planned);
  planUsers(desired, current, options, planned);
  planMemberships(desired, current, options, planned);

  const reasons: string[] = [];
  let operations: readonly Operation[] = planned;
  let held: Operation[] = [];
  if (options.holdEmptiedTeamsFrom !== undefined && desired.scope.kind === 'groups') {
    const emptied = emptiedTeams(planned, desired, current, options.holdEmptiedTeamsFrom);
    if (emptied.size > 0) {
      const holds = (operation: Operation) =>
        isRemoval(operation) && emptied.has(teamOf(operation) ?? '');
      held = planned.filter(holds);
      operations = planned.filter((operation) => !holds(operation));
      reasons.push(
        `this sync would remove every Entra member of ${[...emptied]
          .map(([teamId, members]) => `team ${teamId} (${members})`)
          .join(', ')}: held for the full pass`,
      );
    }
  }

  const standing = options.standingHold;
  if (standing !== undefined && desired.scope.kind === 'groups') {
    const holds = (operation: Operation) =>
      isRemoval(operation) && holdsRemovalsOf(standing, teamOf(operation) ?? '');
    const kept = operations.filter(holds);
    if (kept.length > 0) {
      held = [...held, ...kept];
      operations = operations.filter((operation) => !holds(operation));
      reasons.push(
        `full pass ${standing.runId} held the removals of ${[
          ...new Set(kept.map((operation) => teamOf(operation))),
        ].join(', ')}: they wait for a release or a pass that no longer plans them`,
      );
    }
  }
  if (options.holdRemovals !== undefined && operations.some(isRemoval)) {
    held = [...held, ...operations.filter(isRemoval)];
    operations = operations.filter((operation) => !isRemoval(operation));
    reasons.push(options.holdRemovals);
  }

  const removals = operations.filter((operation) => operation.kind === 'membership-removed');
  if (removals.length > options.maxMembershipRemovals) {
    held = [...held, ...operations.filter(isRemoval)];
    operations = operations.filter((operation) => !isRemoval(operation));
    reasons.push(removalGuardReason(removals.length, options.maxMembershipRemovals));
  }
  return { operations, held, holdReason: reasons.length > 0 ? reasons.join('; ') : undefined };
}
