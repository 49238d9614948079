/**
 * Turns directory changes into change notifications: one item per change and matching
 * subscription, batched per subscription (changes closer together than the batch window share a
 * POST, up to the maximum batch size), sent with retries, and subject to the feed faults.
 */
import type { GroupChange } from '../model.js';
import { deliver, pause, type NotificationDeps } from './delivery.js';
import { changeItem, changeTypeOf } from './payloads.js';
import type { SubscriptionStore } from './subscription-store.js';

type Item = Record<string, unknown>;

export class ChangeNotifier {
  private readonly buffers = new Map<string, Item[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Items made while a subscription waits for reauthorization. */
  private readonly awaitingReauthorization = new Map<string, Item[]>();
  /** Bodies a `reorder` fault holds back until the subscription's next POST is delivered. */
  private readonly heldBack = new Map<string, { body: string; timer: NodeJS.Timeout }[]>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: NotificationDeps,
    private readonly store: SubscriptionStore,
  ) {}

  onGroupChange(change: GroupChange): void {
    const changeType = changeTypeOf(change);
    for (const sub of this.store.live()) {
      if (!sub.changeTypes.has(changeType)) continue;
      if (sub.groupId !== undefined && sub.groupId !== change.groupId) continue;
      this.deps.counters().items += 1;
      const item = changeItem(sub, change, this.deps.tenantId, this.deps.clock);
      if (sub.reauthorizationRequired) {
        const waiting = this.awaitingReauthorization.get(sub.id) ?? [];
        waiting.push(item);
        this.awaitingReauthorization.set(sub.id, waiting);
        continue;
      }
      this.enqueue(sub.id, [item]);
    }
  }

  /** The app reauthorized: what waited is sent now. */
  reauthorized(subscriptionId: string): void {
    const waiting = this.awaitingReauthorization.get(subscriptionId);
    this.awaitingReauthorization.delete(subscriptionId);
    if (waiting && waiting.length > 0) this.enqueue(subscriptionId, waiting);
  }

  /** The subscription is gone: nothing more is sent for it. */
  forget(subscriptionId: string): void {
    clearTimeout(this.timers.get(subscriptionId));
    this.timers.delete(subscriptionId);
    this.buffers.delete(subscriptionId);
    this.awaitingReauthorization.delete(subscriptionId);
    for (const h of this.heldBack.get(subscriptionId) ?? []) clearTimeout(h.timer);
    this.heldBack.delete(subscriptionId);
  }

  /** Sends every buffered and held-back batch now and waits until nothing is in flight. */
  async flush(): Promise<void> {
    for (let round = 0; round < 100; round += 1) {
      for (const id of [...this.buffers.keys()]) this.sendBuffered(id);
      for (const id of [...this.heldBack.keys()]) this.releaseHeldBack(id);
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  stop(): void {
    for (const id of [...new Set([...this.timers.keys(), ...this.heldBack.keys()])])
      this.forget(id);
  }

  private enqueue(subscriptionId: string, items: Item[]): void {
    const buffer = this.buffers.get(subscriptionId) ?? [];
    buffer.push(...items);
    this.buffers.set(subscriptionId, buffer);
    const max = this.deps.settings.notificationMaxBatchSize;
    while (buffer.length >= max) this.send(subscriptionId, buffer.splice(0, max));
    if (buffer.length === 0) {
      this.buffers.delete(subscriptionId);
      return;
    }
    if (!this.timers.has(subscriptionId)) {
      const timer = setTimeout(() => {
        this.sendBuffered(subscriptionId);
      }, this.deps.settings.notificationBatchWindowMs);
      timer.unref();
      this.timers.set(subscriptionId, timer);
    }
  }

  private sendBuffered(subscriptionId: string): void {
    clearTimeout(this.timers.get(subscriptionId));
    this.timers.delete(subscriptionId);
    const buffer = this.buffers.get(subscriptionId) ?? [];
    this.buffers.delete(subscriptionId);
    const max = this.deps.settings.notificationMaxBatchSize;
    while (buffer.length > 0) this.send(subscriptionId, buffer.splice(0, max));
  }

  private send(subscriptionId: string, items: Item[]): void {
    this.track(this.post(subscriptionId, JSON.stringify({ value: items })));
  }

  private async post(subscriptionId: string, body: string): Promise<void> {
    const fault = this.deps.faults.takeForPost(subscriptionId, false);
    const counters = this.deps.counters;
    switch (fault?.kind) {
      case 'drop':
        counters().dropped += 1;
        return;
      case 'reorder':
        counters().reordered += 1;
        this.holdBack(subscriptionId, body);
        return;
      case 'delay':
        counters().delayed += 1;
        await pause(fault.delayMs ?? 0, this.deps.stop);
        break;
      case 'duplicate':
        counters().duplicated += 1;
        await this.deliverTo(subscriptionId, body);
        break;
      default:
        break;
    }
    await this.deliverTo(subscriptionId, body);
    this.releaseHeldBack(subscriptionId);
  }

  private async deliverTo(subscriptionId: string, body: string): Promise<void> {
    const sub = this.store.get(subscriptionId);
    if (!sub) return;
    await deliver(this.deps, sub.notificationUrl, body, () => this.store.get(sub.id) !== undefined);
  }

  private holdBack(subscriptionId: string, body: string): void {
    const held = this.heldBack.get(subscriptionId) ?? [];
    const timer = setTimeout(() => {
      this.releaseHeldBack(subscriptionId);
    }, this.deps.settings.reorderHoldMs);
    timer.unref();
    held.push({ body, timer });
    this.heldBack.set(subscriptionId, held);
  }

  private releaseHeldBack(subscriptionId: string): void {
    const held = this.heldBack.get(subscriptionId);
    this.heldBack.delete(subscriptionId);
    for (const h of held ?? []) {
      clearTimeout(h.timer);
      this.track(this.deliverTo(subscriptionId, h.body));
    }
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
