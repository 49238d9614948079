/**
 * The admin calls for the change feeds (part of `sim.admin`): simulated time, delta token expiry,
 * feed settings and faults, subscriptions and their lifecycle events, and waiting for deliveries.
 */
import type { ActiveFeedFault, FeedFaultSpec } from './feed-faults.js';
import type { FeedSettings } from './feed-settings.js';
import { renderSubscription } from './notifications/subscription.js';
import type { TenantFeeds } from './feeds.js';

export interface FeedAdmin {
  /** Moves simulated time forward (delta token age, subscription expiry, retry windows). */
  advanceTime(ms: number): void;
  /** The simulated time, ISO 8601. */
  now(): string;
  /** Every delta token issued so far is refused from now on (as after 7 days). */
  expireDeltaTokens(): void;
  configureFeeds(settings: Partial<FeedSettings>): void;
  feedSettings(): FeedSettings;
  /** Returns the fault's id. */
  injectFeedFault(fault: FeedFaultSpec): number;
  removeFeedFault(id: number): boolean;
  clearFeedFaults(): void;
  listFeedFaults(): ActiveFeedFault[];
  /** The live subscriptions, as `GET /subscriptions` shows them (plus `reauthorizationRequired`). */
  listSubscriptions(): Record<string, unknown>[];
  /**
   * Sends `reauthorizationRequired` to the lifecycle URL of the named (or every) subscription and
   * holds its change notifications until the app reauthorizes or renews. Resolves with the ids told.
   */
  requireReauthorization(subscriptionId?: string): Promise<string[]>;
  /** Removes a subscription and sends `subscriptionRemoved` to its lifecycle URL. */
  removeSubscription(subscriptionId: string): Promise<void>;
  /** Sends every pending notification now and resolves when none is in flight (retries included). */
  flushNotifications(): Promise<void>;
}

export function createFeedAdmin(feeds: TenantFeeds): FeedAdmin {
  return {
    advanceTime: (ms) => {
      feeds.clock.advance(ms);
      feeds.subscriptions.list(); // expired subscriptions go now, not at the next request
    },
    now: () => feeds.clock.iso(),
    expireDeltaTokens: () => {
      feeds.expireDeltaTokens();
    },
    configureFeeds: (settings) => {
      feeds.configure(settings);
    },
    feedSettings: () => ({ ...feeds.settings }),
    injectFeedFault: (fault) => feeds.faults.inject(fault),
    removeFeedFault: (id) => feeds.faults.remove(id),
    clearFeedFaults: () => {
      feeds.faults.clear();
    },
    listFeedFaults: () => feeds.faults.list(),
    listSubscriptions: () =>
      feeds.subscriptions.list().map((s) => ({
        ...renderSubscription(s),
        reauthorizationRequired: s.reauthorizationRequired,
      })),
    requireReauthorization: (id) =>
      feeds.subscriptions.requireReauthorization(id === undefined ? undefined : [id]),
    removeSubscription: (id) => feeds.subscriptions.removeWithNotice(id),
    flushNotifications: () => feeds.notifier.flush(),
  };
}
