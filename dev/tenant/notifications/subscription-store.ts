/** The tenant's subscriptions; an expired one is removed the moment anything looks at it. */
import type { SimClock } from '../clock.js';
import type { Subscription } from './subscription.js';

export class SubscriptionStore {
  private readonly subscriptions = new Map<string, Subscription>();

  constructor(
    private readonly clock: SimClock,
    private readonly onExpired: (sub: Subscription) => void,
  ) {}

  /** The subscriptions that have not expired, oldest first. */
  live(): Subscription[] {
    this.purgeExpired();
    return [...this.subscriptions.values()];
  }

  get(id: string): Subscription | undefined {
    this.purgeExpired();
    return this.subscriptions.get(id);
  }

  add(sub: Subscription): void {
    this.subscriptions.set(sub.id, sub);
  }

  delete(id: string): Subscription | undefined {
    const sub = this.subscriptions.get(id);
    this.subscriptions.delete(id);
    return sub;
  }

  purgeExpired(): void {
    const now = this.clock.now();
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.expirationMs > now) continue;
      this.subscriptions.delete(sub.id);
      this.onExpired(sub);
    }
  }
}
