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
