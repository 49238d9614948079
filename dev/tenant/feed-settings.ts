/** How the tenant's change feeds (groups/delta and change notifications) behave; all adjustable at run time. */

export interface FeedSettings {
  /** Age (simulated time) after which a delta token is refused. Graph: 7 days for directory objects. */
  deltaTokenMaxAgeMs: number;
  /**
   * How an expired delta token is refused: 400 `syncStateNotFound` (what Graph answers for
   * directory objects) or 410 Gone with `Location` and `resyncRequired`.
   */
  deltaTokenExpiredAs: 'syncStateNotFound' | 'resyncRequired';
  /** Changes closer together than this go out in one POST. */
  notificationBatchWindowMs: number;
  /** At most this many items per POST. */
  notificationMaxBatchSize: number;
  /** A notification POST that takes longer fails (and is retried). Graph: 3 s. */
  notificationTimeoutMs: number;
  /** First wait before a retry; doubles up to `notificationRetryMaxDelayMs`. */
  notificationRetryInitialMs: number;
  notificationRetryMaxDelayMs: number;
  /** Retries stop this long (simulated time) after the first attempt. Graph: 4 hours. */
  notificationRetryForMs: number;
  /** The validation handshake must answer within this. Graph: 10 s. */
  validationTimeoutMs: number;
  /** How long a `reorder` fault holds a POST back when nothing follows it. */
  reorderHoldMs: number;
}

export const DEFAULT_FEED_SETTINGS: FeedSettings = {
  deltaTokenMaxAgeMs: 7 * 24 * 60 * 60 * 1000,
  deltaTokenExpiredAs: 'syncStateNotFound',
  notificationBatchWindowMs: 50,
  notificationMaxBatchSize: 100,
  notificationTimeoutMs: 3000,
  notificationRetryInitialMs: 1000,
  notificationRetryMaxDelayMs: 60_000,
  notificationRetryForMs: 4 * 60 * 60 * 1000,
  validationTimeoutMs: 10_000,
  reorderHoldMs: 500,
};

/** Checks and applies a partial update; throws naming the setting that is wrong. */
export function applyFeedSettings(current: FeedSettings, patch: Partial<FeedSettings>): void {
  for (const [key, value] of Object.entries(patch) as [keyof FeedSettings, unknown][]) {
    if (!(key in DEFAULT_FEED_SETTINGS)) throw new Error(`unknown feed setting '${key}'`);
    if (value === undefined) continue;
    if (key === 'deltaTokenExpiredAs') {
      if (value !== 'syncStateNotFound' && value !== 'resyncRequired')
        throw new Error(`deltaTokenExpiredAs must be 'syncStateNotFound' or 'resyncRequired'`);
      current.deltaTokenExpiredAs = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new Error(`${key} must be a number >= 0`);
    if (key === 'notificationMaxBatchSize' && (!Number.isInteger(value) || value < 1))
      throw new Error('notificationMaxBatchSize must be an integer >= 1');
    current[key] = value;
  }
}
