/**
 * The tenant's change feeds in one place: the simulated clock, the feed settings and faults, the
 * delta tokens' epoch, the subscriptions and the notifier that listens to the directory.
 */
import { SimClock } from './clock.js';
import { FeedFaultRegistry } from './feed-faults.js';
import type { DeltaCounters, NotificationCounters } from './feed-counters.js';
import { DEFAULT_FEED_SETTINGS, applyFeedSettings, type FeedSettings } from './feed-settings.js';
import type { GroupChange } from './model.js';
import { ChangeNotifier } from './notifications/change-notifier.js';
import type { NotificationDeps } from './notifications/delivery.js';
import { SubscriptionManager } from './notifications/subscription-manager.js';
import { SubscriptionStore } from './notifications/subscription-store.js';

export interface TenantFeedsOptions {
  tenantId: string;
  applicationId: string;
  settings?: Partial<FeedSettings>;
  counters: () => { delta: DeltaCounters; notifications: NotificationCounters };
}

export class TenantFeeds {
  readonly clock = new SimClock();
  readonly settings: FeedSettings = { ...DEFAULT_FEED_SETTINGS };
  readonly faults = new FeedFaultRegistry();
  readonly subscriptions: SubscriptionManager;
  readonly notifier: ChangeNotifier;
  /** Delta tokens carry the epoch they were issued in; a new epoch expires every earlier token. */
  deltaTokenEpoch = 0;
  private readonly stopper = new AbortController();

  constructor(private readonly options: TenantFeedsOptions) {
    applyFeedSettings(this.settings, options.settings ?? {});
    const deps: NotificationDeps = {
      clock: this.clock,
      settings: this.settings,
      faults: this.faults,
      counters: () => options.counters().notifications,
      stop: this.stopper.signal,
      tenantId: options.tenantId,
    };
    const store = new SubscriptionStore(this.clock, (sub) => {
      this.notifier.forget(sub.id);
      options.counters().notifications.subscriptionsExpired += 1;
    });
    this.notifier = new ChangeNotifier(deps, store);
    this.subscriptions = new SubscriptionManager(deps, store, this.notifier, options.applicationId);
  }

  get deltaCounters(): DeltaCounters {
    return this.options.counters().delta;
  }

  onGroupChange(change: GroupChange): void {
    this.notifier.onGroupChange(change);
  }

  configure(patch: Partial<FeedSettings>): void {
    applyFeedSettings(this.settings, patch);
  }

  expireDeltaTokens(): void {
    this.deltaTokenEpoch += 1;
  }

  stop(): void {
    this.stopper.abort();
    this.notifier.stop();
  }
}
