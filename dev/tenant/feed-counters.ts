/** What the change feeds count (part of `sim.counters()`). */

export interface DeltaCounters {
  /** `groups/delta` requests answered 200 (every page). */
  requests: number;
  /** Rounds started without a token (full rounds). */
  initialRounds: number;
  /** Rounds started from a deltaLink. */
  incrementalRounds: number;
  /** Requests refused because their delta token had expired. */
  expiredTokens: number;
  /** Rounds that replayed the previous round's changes (the `replay` fault). */
  replays: number;
}

export interface NotificationCounters {
  subscriptionsCreated: number;
  /** Creations refused because a validation handshake failed. */
  validationFailures: number;
  subscriptionsRenewed: number;
  subscriptionsDeleted: number;
  subscriptionsExpired: number;
  /** Change notification items made (one per change and matching subscription). */
  items: number;
  /** POST attempts to notification URLs (retries and duplicates included). */
  posts: number;
  /** POSTs answered 2xx in time. */
  delivered: number;
  /** Attempts that failed (non-2xx, timeout, connection refused). */
  failedAttempts: number;
  retries: number;
  /** POSTs given up on after the retry window. */
  abandoned: number;
  dropped: number;
  delayed: number;
  duplicated: number;
  reordered: number;
  /** Lifecycle notification POSTs (reauthorizationRequired, subscriptionRemoved). */
  lifecycle: number;
}

export function emptyDeltaCounters(): DeltaCounters {
  return { requests: 0, initialRounds: 0, incrementalRounds: 0, expiredTokens: 0, replays: 0 };
}

export function emptyNotificationCounters(): NotificationCounters {
  return {
    subscriptionsCreated: 0,
    validationFailures: 0,
    subscriptionsRenewed: 0,
    subscriptionsDeleted: 0,
    subscriptionsExpired: 0,
    items: 0,
    posts: 0,
    delivered: 0,
    failedAttempts: 0,
    retries: 0,
    abandoned: 0,
    dropped: 0,
    delayed: 0,
    duplicated: 0,
    reordered: 0,
    lifecycle: 0,
  };
}
