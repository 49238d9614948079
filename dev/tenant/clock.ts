/**
 * The tenant's simulated time: the wall clock plus an offset that only moves forward. Delta
 * token ages and subscription expiry read it, so tests can jump days ahead without waiting.
 */
export class SimClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('time only moves forward: ms must be >= 0');
    this.offsetMs += ms;
  }
}
