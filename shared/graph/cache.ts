/**
 * The assigned-groups list changes rarely and every sign-in needs it: keep it for a short while
 * so consecutive sign-ins do not each page through `appRoleAssignedTo`, yet a newly assigned
 * group shows up within that while.
 */
import type { AssignedGroup, DirectoryReader } from './directory.js';

interface Fetch {
  readonly startedAt: number;
  readonly groups: Promise<readonly AssignedGroup[]>;
}

class AssignedGroupsCache implements DirectoryReader {
  /** The last list read. */
  private current: Fetch | undefined;
  /** A read in flight. */
  private pending: Fetch | undefined;

  constructor(
    private readonly reader: DirectoryReader,
    private readonly defaultMaxAgeSeconds: number,
    private readonly clock: () => Date,
  ) {}

  get requestCount(): number {
    return this.reader.requestCount;
  }

  assignedGroups(options?: { readonly maxAgeSeconds?: number }): Promise<readonly AssignedGroup[]> {
    const maxAgeMs = (options?.maxAgeSeconds ?? this.defaultMaxAgeSeconds) * 1000;
    const now = this.clock().getTime();
    const current = this.current;
    if (current !== undefined && now - current.startedAt < maxAgeMs) {
      // Past half its life the list is read again behind this answer, so that under steady
      // sign-ins nobody waits for the listing when it expires (at 5,000 groups it is 6 pages).
      if (this.pending === undefined && now - current.startedAt >= maxAgeMs / 2) this.refresh(now);
      return current.groups;
    }
    // A read still in flight is as fresh as anything a new one would bring: share it.
    return (this.pending ?? this.refresh(now)).groups;
  }

  private refresh(now: number): Fetch {
    const fetch: Fetch = {
      startedAt: now,
      groups: this.reader.assignedGroups({ maxAgeSeconds: 0 }),
    };
    this.pending = fetch;
    void fetch.groups.then(
      () => {
        if (this.pending === fetch) this.pending = undefined;
        this.current = fetch;
      },
      () => {
        // A failure is not an answer to keep.
        if (this.pending === fetch) this.pending = undefined;
      },
    );
    return fetch;
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
 * A reader whose `assignedGroups()` answers from the last list read less than `maxAgeSeconds`
 * ago (0: never), unless the caller asks for a fresher one with `{ maxAgeSeconds }`.
 */
export function withAssignedGroupsCache(
  reader: DirectoryReader,
  maxAgeSeconds: number,
  clock: () => Date = () => new Date(),
): DirectoryReader {
  return new AssignedGroupsCache(reader, maxAgeSeconds, clock);
}
