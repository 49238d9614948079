/**
 * The running tenant's state, shared by every surface: the directory (replaced on reset), the
 * signing keys, the injected faults, the page size, the resource-unit budget and the counters.
 * It is the token and Graph context too, so the base URL is read where it is needed: it is only
 * known once the server listens.
 */
import { FaultRegistry } from './faults.js';
import { emptyDeltaCounters, emptyNotificationCounters } from './feed-counters.js';
import type { FeedSettings } from './feed-settings.js';
import { TenantFeeds } from './feeds.js';
import type { GraphContext } from './graph/handler.js';
import { Directory, type ParsedTenantData } from './model.js';
import {
  ResourceBudgetMeter,
  defaultBudgetLimit,
  type ResourceUnitBudget,
} from './resource-budget.js';
import type { TenantCounters } from './simulated-tenant.js';
import type { KeyRing, TokenContext } from './tokens.js';

export interface TenantSettings {
  pageSize?: number;
  throttling?: ResourceUnitBudget | boolean;
  feeds?: Partial<FeedSettings>;
}

function emptyCounters(): TenantCounters {
  return {
    requestsByRoute: {},
    statuses: {},
    resourceUnitsSpent: 0,
    batchSubRequests: 0,
    throttled: 0,
    total: 0,
    delta: emptyDeltaCounters(),
    notifications: emptyNotificationCounters(),
  };
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

export class TenantState implements TokenContext, GraphContext {
  private current!: Directory;
  pageSize: number;
  meter: ResourceBudgetMeter | undefined;
  counters: TenantCounters = emptyCounters();
  readonly faults = new FaultRegistry();
  readonly feeds: TenantFeeds;
  baseUrl = '';

  constructor(
    readonly initial: ParsedTenantData,
    readonly keys: KeyRing,
    settings: TenantSettings,
    /** Where the directory starts when not from `initial` (a saved state file). */
    current: ParsedTenantData = initial,
  ) {
    this.feeds = new TenantFeeds({
      tenantId: initial.tenantId,
      applicationId: initial.app.clientId,
      ...(settings.feeds === undefined ? {} : { settings: settings.feeds }),
      counters: () => this.counters,
    });
    this.directory = new Directory(structuredClone(current));
    this.pageSize = settings.pageSize ?? 100;
    this.setThrottling(settings.throttling);
  }

  get authorityHost(): string {
    return this.baseUrl;
  }

  get graphEndpoint(): string {
    return this.baseUrl;
  }

  get directory(): Directory {
    return this.current;
  }

  /** Whichever directory is current, its changes reach the change feeds. */
  set directory(directory: Directory) {
    directory.onChange = (change) => {
      this.feeds.onGroupChange(change);
    };
    this.current = directory;
  }

  /** Back to the data the tenant started with. */
  resetDirectory(): void {
    this.directory = new Directory(structuredClone(this.initial));
    // The change log starts over, so no earlier delta token can be answered.
    this.feeds.expireDeltaTokens();
  }

  resetCounters(): void {
    this.counters = emptyCounters();
  }

  countRoute(key: string): void {
    bump(this.counters.requestsByRoute, key);
  }

  countStatus(status: number): void {
    bump(this.counters.statuses, String(status));
  }

  configure(settings: TenantSettings): void {
    if (settings.pageSize !== undefined) {
      if (!Number.isInteger(settings.pageSize) || settings.pageSize < 1 || settings.pageSize > 999)
        throw new Error('pageSize must be an integer in 1..999');
      this.pageSize = settings.pageSize;
    }
    if (settings.throttling !== undefined) this.setThrottling(settings.throttling);
    if (settings.feeds !== undefined) this.feeds.configure(settings.feeds);
  }

  private setThrottling(t: ResourceUnitBudget | boolean | undefined): void {
    if (t === undefined || t === false) {
      this.meter = undefined;
      return;
    }
    const b = t === true ? {} : t;
    this.meter = new ResourceBudgetMeter(
      b.limit ?? defaultBudgetLimit(this.directory.users.size),
      (b.windowSeconds ?? 10) * 1000,
    );
  }
}
