/**
 * Delivering one notification body the way Graph does: a 2xx within the timeout is delivered;
 * anything else is retried with exponential backoff until the retry window (simulated time) ends.
 */
import type { SimClock } from '../clock.js';
import type { FeedFaultRegistry } from '../feed-faults.js';
import type { NotificationCounters } from '../feed-counters.js';
import type { FeedSettings } from '../feed-settings.js';
import { postToEndpoint } from './endpoint-post.js';

/** What every part of notification sending shares. */
export interface NotificationDeps {
  clock: SimClock;
  settings: FeedSettings;
  faults: FeedFaultRegistry;
  /** The live counters (replaced when counters are reset, hence a function). */
  counters: () => NotificationCounters;
  /** Aborted when the tenant stops: nothing is sent after that. */
  stop: AbortSignal;
  tenantId: string;
}

/** Resolves after `ms`, or at once when the tenant stops; never keeps the process alive. */
export function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    stop.addEventListener('abort', done, { once: true });
  });
}

/** True when delivered; false when given up (window over, subscription gone, tenant stopped). */
export async function deliver(
  deps: NotificationDeps,
  url: string,
  body: string,
  stillWanted: () => boolean,
): Promise<boolean> {
  const s = deps.settings;
  const deadline = deps.clock.now() + s.notificationRetryForMs;
  let wait = s.notificationRetryInitialMs;
  for (let attempt = 0; ; attempt += 1) {
    if (deps.stop.aborted || !stillWanted()) return false;
    if (attempt > 0) deps.counters().retries += 1;
    deps.counters().posts += 1;
    const answer = await postToEndpoint(url, {
      body,
      contentType: 'application/json; charset=utf-8',
      timeoutMs: s.notificationTimeoutMs,
      stop: deps.stop,
    });
    if (answer.ok && answer.status >= 200 && answer.status < 300) {
      deps.counters().delivered += 1;
      return true;
    }
    deps.counters().failedAttempts += 1;
    if (deps.clock.now() + wait > deadline) {
      deps.counters().abandoned += 1;
      return false;
    }
    await pause(wait, deps.stop);
    wait = Math.min(wait * 2, s.notificationRetryMaxDelayMs);
  }
}
