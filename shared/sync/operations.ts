/**
 * The planner's output: domain operations, each with the ETag of the row it was planned
 * against (a create has none: it succeeds only where no row exists) and a reason an operator
 * reads in the audit log. `kind` is the audit log's word for the change. How an operation
 * becomes rows is the store's business alone.
 */
import type { Team, TeamMember, User, UserTeamLink } from './model.js';

interface Planned {
  /** Why, in words an operator reads in the audit log. */
  readonly reason: string;
}

export interface CreateTeam extends Planned {
  readonly kind: 'team-created';
  readonly teamId: string;
  readonly team: Team;
}

export interface RenameTeam extends Planned {
  readonly kind: 'team-renamed';
  readonly teamId: string;
  readonly etag: string;
  readonly entraDisplayName: string;
  /** The new alias, or undefined when an operator's alias is kept. */
  readonly teamAlias: string | undefined;
}

export interface RestoreTeam extends Planned {
  readonly kind: 'team-restored';
  readonly teamId: string;
  readonly etag: string;
}

export interface ArchiveTeam extends Planned {
  readonly kind: 'team-archived';
  readonly teamId: string;
  readonly etag: string;
  readonly archivedAt: string;
  readonly archivedReason: string;
}

export interface CreateUser extends Planned {
  readonly kind: 'user-created';
  readonly userId: string;
  readonly user: User;
}

export type UserChanges = Partial<
  Pick<
    User,
    | 'userEmail'
    | 'displayName'
    | 'userPrincipalName'
    | 'accountEnabled'
    | 'deletedInEntra'
    | 'entraRole'
    | 'userRole'
  >
>;

export interface UpdateUser extends Planned {
  readonly kind: 'user-updated';
  readonly userId: string;
  readonly etag: string;
  readonly changes: UserChanges;
}

export interface StampSignIn extends Planned {
  readonly kind: 'user-signed-in';
  readonly userId: string;
  readonly etag: string;
  readonly signedInAt: string;
}

export interface AddMembership extends Planned {
  readonly kind: 'membership-added';
  readonly teamId: string;
  readonly userId: string;
  readonly member: TeamMember;
}

/** Removes whichever sides exist, each conditional on its own ETag. */
export interface RemoveMembership extends Planned {
  readonly kind: 'membership-removed';
  readonly teamId: string;
  readonly userId: string;
  readonly teamSideEtag: string | undefined;
  readonly userSideEtag: string | undefined;
}

/** A side of a membership to create, or to correct with the ETag it was read with. */
export type SideRepair<T> =
  { readonly create: T } | { readonly etag: string; readonly set: Partial<T> };

export interface RepairMembership extends Planned {
  readonly kind: 'membership-repaired';
  readonly teamId: string;
  readonly userId: string;
  readonly userSide: SideRepair<UserTeamLink> | undefined;
  readonly teamSide: SideRepair<TeamMember> | undefined;
}

export type Operation =
  | CreateTeam
  | RenameTeam
  | RestoreTeam
  | ArchiveTeam
  | CreateUser
  | UpdateUser
  | StampSignIn
  | AddMembership
  | RemoveMembership
  | RepairMembership;

export type OperationKind = Operation['kind'];

/** The team an operation is about, if any. */
export function teamOf(operation: Operation): string | undefined {
  return 'teamId' in operation ? operation.teamId : undefined;
}

/** The user an operation is about, if any. */
export function userOf(operation: Operation): string | undefined {
  return 'userId' in operation ? operation.userId : undefined;
}
