/**
 * When and how long to wait before asking Graph again: `Retry-After` when Graph sends it,
 * bounded exponential back-off with jitter when it does not, and a total wait budget per
 * operation so a sign-in never hangs on a throttled tenant.
 */

/** Statuses Graph documents as transient: throttled, unavailable, gateway timeout. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/** Attempts per request, however small the waits: a storm of `Retry-After: 0` must end. */
export const MAX_ATTEMPTS = 8;

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 30_000;

/**
 * Back-off before retry number `retry` (1 for the first retry) when Graph gave no
 * `Retry-After`: doubling from one second up to thirty, each wait between half and all of that
 * step, so clients throttled together do not come back together.
 */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retry - 1));
  return Math.round(step * (0.5 + random() / 2));
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/** The waiting one operation may still do before it gives up. */
export class RetryBudget {
  private spentMs = 0;

  constructor(readonly limitMs: number) {}

  /** Books `ms` of waiting; false (and nothing booked) when it would exceed the budget. */
  trySpend(ms: number): boolean {
    if (this.spentMs + ms > this.limitMs) return false;
    this.spentMs += ms;
    return true;
  }

  get spent(): number {
    return this.spentMs;
  }
}
