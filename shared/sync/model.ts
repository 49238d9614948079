/**
 * The domain the sync engine works on: teams, users and the two sides of a membership, as the
 * tables hold them, and the state the planner compares with Entra. The store reads and writes
 * these types; it defines none of them.
 */
export type Source = 'entra' | 'manual';
export type MemberRole = 'user' | 'admin';

export interface Team {
  readonly teamId: string;
  readonly teamAlias: string;
  readonly source: Source;
  readonly entraGroupId?: string | undefined;
  readonly entraDisplayName?: string | undefined;
  readonly maxBudget?: number | undefined;
  readonly budgetDuration?: string | undefined;
  readonly models: readonly string[];
  readonly tpmLimit?: number | undefined;
  readonly rpmLimit?: number | undefined;
  readonly teamMemberPermissions: readonly string[];
  readonly archived: boolean;
  readonly archivedAt?: string | undefined;
  readonly archivedReason?: string | undefined;
  readonly createdAt: string;
  readonly createdBy?: string | undefined;
}

/** The team side of a membership. */
export interface TeamMember {
  readonly teamId: string;
  readonly userId: string;
  readonly role: MemberRole;
  readonly source: Source;
  readonly addedAt: string;
  readonly userEmail?: string | undefined;
}

export interface User {
  readonly userId: string;
  readonly userEmail: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly userRole: string;
  /**
   * The role Entra's app roles gave the user when it was last written; undefined on rows written
   * before roles were synced, or while no app role maps to a MishikaLLM role.
   */
  readonly entraRole?: string | undefined;
  readonly maxBudget?: number | undefined;
  readonly budgetDuration?: string | undefined;
  readonly models: readonly string[];
  readonly tpmLimit?: number | undefined;
  readonly rpmLimit?: number | undefined;
  readonly source: Source;
  readonly accountEnabled: boolean;
  readonly deletedInEntra: boolean;
  readonly createdAt: string;
  readonly lastSignInAt?: string | undefined;
}

/** The user side of a membership: its mirror in the user's partition. */
export interface UserTeamLink {
  readonly userId: string;
  readonly teamId: string;
  readonly role: MemberRole;
  readonly source: Source;
  readonly addedAt: string;
}

/** What was read, with the ETag that a conditional write must present. */
export type Stored<T> = T & { readonly etag: string };

/** A team as read: its row (absent in a half-written or foreign partition) and members. */
export interface TeamRecord {
  readonly teamId: string;
  readonly team: Stored<Team> | undefined;
  readonly members: ReadonlyMap<string, Stored<TeamMember>>;
}

/** A user as read: the user row and the user's membership mirrors. */
export interface UserRecord {
  readonly userId: string;
  readonly user: Stored<User> | undefined;
  readonly teams: ReadonlyMap<string, Stored<UserTeamLink>>;
}

/** What the tables hold of the teams and users in view. */
export interface CurrentState {
  readonly teams: ReadonlyMap<string, TeamRecord>;
  readonly users: ReadonlyMap<string, UserRecord>;
  /**
   * Users in view whose partition was not read (a notification's or delta round's groups sync
   * reads only the users whose membership changed): the planner plans nothing for them.
   */
  readonly unreadUsers?: ReadonlySet<string> | undefined;
}

/** A user's profile as Entra gives it, in the contract's terms. */
export interface UserProfile {
  readonly userId: string;
  readonly userEmail: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly accountEnabled: boolean;
}
