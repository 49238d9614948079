/**
 * The resource-unit budget modelled on Graph's identity and access throttling: what a request
 * costs, the default limit by tenant size, and the fixed window that spends it.
 */

export interface ResourceUnitBudget {
  /** Resource units per window. Default by tenant size like Graph: S (< 50 users) 3,500, M (50–500) 5,000, L 8,000. */
  limit?: number;
  /** Window length, default 10 s. */
  windowSeconds?: number;
}

export function defaultBudgetLimit(userCount: number): number {
  if (userCount < 50) return 3500;
  if (userCount <= 500) return 5000;
  return 8000;
}

/** A fixed window of resource units; throttled requests cost nothing. */
export class ResourceBudgetMeter {
  private windowStart = 0;
  private spent = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Spends `cost` or tells how long to wait. */
  consume(
    cost: number,
    now = Date.now(),
  ): { ok: true; usedFraction: number } | { ok: false; retryAfterSeconds: number } {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.spent = 0;
    }
    if (this.spent + cost > this.limit) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000)),
      };
    }
    this.spent += cost;
    return { ok: true, usedFraction: this.spent / this.limit };
  }
}

/** Resource units a request costs, following Graph's documented identity and access rules. */
export function resourceUnits(baseCost: number, query: URLSearchParams): number {
  let cost = baseCost;
  if (query.has('$select')) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}
