/**
 * The assigned-groups list changes rarely and every sign-in needs it: keep it for a short while
 * so consecutive sign-ins do not each page through `appRoleAssignedTo`, yet a newly assigned
 * group shows up within that while.
 */
import type { AssignedGroup, DirectoryReader } from './directory.js';

interface Fetch {
  readonly startedAt: number;
  readonly groups: Promise<readonly AssignedGroup[]>;
  inFlight: boolean;
}

class AssignedGroupsCache implements DirectoryReader {
  private latest: Fetch | undefined;

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
    const latest = this.latest;
    // A fetch still in flight is as fresh as anything a new one would bring: share it.
    if (latest !== undefined && (latest.inFlight || now - latest.startedAt < maxAgeMs)) {
      return latest.groups;
    }
    const fetch: Fetch = {
      startedAt: now,
      groups: this.reader.assignedGroups({ maxAgeSeconds: 0 }),
      inFlight: true,
    };
    this.latest = fetch;
    void fetch.groups.then(
      () => {
        fetch.inFlight = false;
      },
      () => {
        fetch.inFlight = false;
        // A failure is not an answer to keep.
        if (this.latest === fetch) this.latest = undefined;
      },
    );
    return fetch.groups;
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
