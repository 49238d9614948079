/**
 * What the sync needs to know from Entra ID, as an interface: the planner's callers get a
 * `DirectoryReader` injected, so they can be driven by the real Graph client or by anything
 * else that answers the same questions.
 */
import type { GroupMembership } from '../config/settings.js';

/** A user as Graph returns it (`$select=id,displayName,userPrincipalName,mail,accountEnabled`). */
export interface EntraUser {
  readonly id: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly mail: string | null;
  readonly accountEnabled: boolean;
}

/** A group assigned to the app (from the service principal's `appRoleAssignedTo`). */
export interface AssignedGroup {
  readonly id: string;
  readonly displayName: string;
}

/** The app role id of an assignment that names no role ("Default Access"). */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

/** An app role as the app defines it (the service principal's `appRoles`). */
export interface AppRoleDefinition {
  readonly id: string;
  /** What tokens carry in `roles`; null for a role defined without a value. */
  readonly value: string | null;
  readonly displayName: string;
  /** `User` (people and groups), `Application`, or both. */
  readonly allowedMemberTypes: readonly string[];
  readonly isEnabled: boolean;
}

/** A group or user assigned to the app, with the app roles it holds (one assignment each). */
export interface AssignedPrincipal {
  readonly id: string;
  readonly displayName: string;
  /** App role ids, without duplicates; `DEFAULT_ACCESS_ROLE_ID` for a "Default Access" assignment. */
  readonly appRoleIds: readonly string[];
}

/**
 * Everyone assigned to the app, from one `appRoleAssignedTo` listing: groups and directly
 * assigned users (service principals are left out).
 */
export interface AppAssignments {
  readonly groups: readonly AssignedPrincipal[];
  readonly users: readonly AssignedPrincipal[];
}

/**
 * A group's user members, transitive or direct. `complete: false` means some page could not
 * be read: the caller must not remove anyone on the strength of a partial list.
 */
export type GroupMembers =
  | { readonly groupId: string; readonly complete: true; readonly members: readonly EntraUser[] }
  | { readonly groupId: string; readonly complete: false; readonly reason: string };

export interface UserWithGroups {
  /** Undefined when Graph answers 404 for the user. */
  readonly user: EntraUser | undefined;
  /** Ids of every group the user is a member of (transitively unless `direct`). */
  readonly groupIds: ReadonlySet<string>;
}

export interface DirectoryReader {
  /** The app's service principal id: configured, or looked up once from the client id. */
  servicePrincipalId(): Promise<string>;
  /**
   * Every group assigned to the app, all pages. A reader may answer from a list it read less than
   * `maxAgeSeconds` ago (its configured default when absent); `{ maxAgeSeconds: 0 }` reads Graph.
   */
  assignedGroups(options?: { readonly maxAgeSeconds?: number }): Promise<readonly AssignedGroup[]>;
  /**
   * Every group and user assigned to the app with their app role ids, all pages: the listing
   * `assignedGroups` is read from, shared with it and kept as long (same `maxAgeSeconds`).
   */
  appAssignments(options?: { readonly maxAgeSeconds?: number }): Promise<AppAssignments>;
  /**
   * The app's role definitions (id → value), from its service principal; shared and kept like
   * `appAssignments` by a caching reader (same `maxAgeSeconds`).
   */
  appRoles(options?: { readonly maxAgeSeconds?: number }): Promise<readonly AppRoleDefinition[]>;
  /** One user's profile and group ids, for a sign-in (one `$batch` round trip where possible). */
  userWithGroups(userId: string, membership: GroupMembership): Promise<UserWithGroups>;
  /** Members of many groups, through `$batch`, following every next link. */
  groupMembers(
    groupIds: readonly string[],
    membership: GroupMembership,
    onGroupDone?: (done: number, total: number) => void,
  ): Promise<ReadonlyMap<string, GroupMembers>>;
  /** Profiles of the given users; `null` for a user Graph does not find (deleted). */
  users(userIds: readonly string[]): Promise<ReadonlyMap<string, EntraUser | null>>;
  /** Graph HTTP requests sent so far (a `$batch` counts once), for run summaries. */
  readonly requestCount: number;
}
