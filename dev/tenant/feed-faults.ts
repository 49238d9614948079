/**
 * Faults on the change feeds, the way Graph misbehaves in production: notifications dropped,
 * late, repeated or out of order, and delta rounds that return changes already returned.
 */

export type FeedFaultKind = 'drop' | 'delay' | 'duplicate' | 'reorder' | 'replay';

export interface FeedFaultSpec {
  /**
   * `drop`, `delay`, `duplicate`, `reorder`: the next notification POST (one batch);
   * `replay`: the next delta round started from a deltaLink returns the previous round's changes again.
   */
  kind: FeedFaultKind;
  /** How many POSTs or rounds it affects (default 1; `Infinity`, or -1 over HTTP, until cleared). */
  times?: number;
  /** For `delay`: how long the POST waits. */
  delayMs?: number;
  /** Only notifications of this subscription (any when absent). */
  subscriptionId?: string;
  /** Notification faults hit change notifications only, unless this is true (lifecycle ones only). */
  lifecycle?: boolean;
}

export interface ActiveFeedFault {
  id: number;
  spec: FeedFaultSpec;
  remaining: number | null;
  hits: number;
}

export class FeedFaultRegistry {
  private faults: { id: number; spec: FeedFaultSpec; remaining: number; hits: number }[] = [];
  private nextId = 1;

  inject(spec: FeedFaultSpec): number {
    const kinds: FeedFaultKind[] = ['drop', 'delay', 'duplicate', 'reorder', 'replay'];
    if (!kinds.includes(spec.kind)) throw new Error(`kind must be one of ${kinds.join(', ')}`);
    const times = spec.times === -1 ? Infinity : (spec.times ?? 1);
    if (!(times > 0)) throw new Error('times must be positive (or -1 until cleared)');
    if (spec.kind === 'delay' && !(typeof spec.delayMs === 'number' && spec.delayMs >= 0))
      throw new Error('a delay fault needs delayMs >= 0');
    const id = this.nextId++;
    this.faults.push({ id, spec: { ...spec }, remaining: times, hits: 0 });
    return id;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFeedFault[] {
    return this.faults.map((f) => ({
      id: f.id,
      spec: { ...f.spec },
      remaining: Number.isFinite(f.remaining) ? f.remaining : null,
      hits: f.hits,
    }));
  }

  /** The first `replay` fault, consumed. */
  takeReplay(): boolean {
    return this.take((s) => s.kind === 'replay') !== undefined;
  }

  /** The first notification fault for a POST of this subscription, consumed. */
  takeForPost(subscriptionId: string, lifecycle: boolean): FeedFaultSpec | undefined {
    return this.take(
      (s) =>
        s.kind !== 'replay' &&
        (s.lifecycle === true) === lifecycle &&
        (s.subscriptionId === undefined || s.subscriptionId === subscriptionId),
    );
  }

  private take(match: (spec: FeedFaultSpec) => boolean): FeedFaultSpec | undefined {
    const f = this.faults.find((x) => match(x.spec));
    if (!f) return undefined;
    f.remaining -= 1;
    f.hits += 1;
    if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f.spec;
  }
}
