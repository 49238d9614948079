/**
 * Every sign-in needs the app's assignments, which change rarely: callers of one reader share
 * one `appRoleAssignedTo` listing (see shared-listing.ts), so a burst of sign-ins costs one
 * listing per `maxAgeSeconds` and a newly assigned group is seen within that time.
 */
import type {
  AppAssignments,
  AppRoleDefinition,
  AssignedGroup,
  DirectoryReader,
} from './directory.js';
import { SharedListing } from './shared-listing.js';

class AssignmentsCache implements DirectoryReader {
  private readonly assignments: SharedListing<AppAssignments>;
  private readonly roles: SharedListing<readonly AppRoleDefinition[]>;

  constructor(
    private readonly reader: DirectoryReader,
    defaultMaxAgeSeconds: number,
    clock: () => Date,
  ) {
    this.assignments = new SharedListing(
      () => reader.appAssignments({ maxAgeSeconds: 0 }),
      defaultMaxAgeSeconds * 1000,
      () => clock().getTime(),
    );
    // Every sign-in needs the role definitions too (do any of them map?): shared the same way.
    this.roles = new SharedListing(
      () => reader.appRoles({ maxAgeSeconds: 0 }),
      defaultMaxAgeSeconds * 1000,
      () => clock().getTime(),
    );
  }

  get requestCount(): number {
    return this.reader.requestCount;
  }

  appAssignments(options?: { readonly maxAgeSeconds?: number }): Promise<AppAssignments> {
    const maxAgeSeconds = options?.maxAgeSeconds;
    return this.assignments.get(maxAgeSeconds === undefined ? undefined : maxAgeSeconds * 1000);
  }

  async assignedGroups(options?: {
    readonly maxAgeSeconds?: number;
  }): Promise<readonly AssignedGroup[]> {
    const { groups } = await this.appAssignments(options);
    return groups.map(({ id, displayName }) => ({ id, displayName }));
  }

  appRoles(options?: { readonly maxAgeSeconds?: number }) {
    const maxAgeSeconds = options?.maxAgeSeconds;
    return this.roles.get(maxAgeSeconds === undefined ? undefined : maxAgeSeconds * 1000);
  }

  servicePrincipalId(): Promise<string> {
    return this.reader.servicePrincipalId();
  }

  userWithGroups(...args: Parameters<DirectoryReader['userWithGroups']>) {
    return this.reader.userWithGroups(...args);
  }

  groupMembers(...args: Parameters<DirectoryReader['groupMembers']>) {
    return this.reader.groupMembers(...args);
  }

  users(...args: Parameters<DirectoryReader['users']>) {
    return this.reader.users(...args);
  }
}

/**
 * A reader whose `appAssignments()`, `assignedGroups()` and `appRoles()` answer from listings shared by
 * concurrent callers and kept for `maxAgeSeconds` (0: only shared while in flight), unless a
 * caller asks for a fresher one with `{ maxAgeSeconds }`.
 */
export function withAssignedGroupsCache(
  reader: DirectoryReader,
  maxAgeSeconds: number,
  clock: () => Date = () => new Date(),
): DirectoryReader {
  return new AssignmentsCache(reader, maxAgeSeconds, clock);
}
