/**
 * Faults on demand: 429/5xx answers, slow answers, dropped connections and malformed bodies.
 */

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /**
   * Matched against the request path and query (`/v1.0/groups/…/members?$top=5`; sub-requests
   * of `$batch` are matched as `/v1.0` + their url). A string matches as a substring.
   */
  pathPattern: RegExp | string;
  /** Status to answer with. Optional when the fault only delays, drops or corrupts. */
  status?: 429 | 500 | 503 | 504;
  /** Sends `Retry-After` with this many seconds (absent: no header). */
  retryAfterSeconds?: number;
  /** How many matching requests it affects (default 1; `Infinity` until cleared). */
  times?: number;
  /** true: applies to `$batch` sub-requests only; false/absent: to top-level requests only. */
  inBatch?: boolean;
  /** Waits this long before answering (combine with nothing else for a slow response). */
  delayMs?: number;
  /** Destroys the socket instead of answering (for a sub-request: the whole `$batch`). */
  dropConnection?: boolean;
  /**
   * Answers the real response with a truncated, invalid JSON body (status 200). For a sub-request
   * of `$batch`: its `body` becomes the first half of its JSON as a string (the batch is valid).
   */
  malformedBody?: boolean;
  /**
   * Sends the real status, headers (with the full `content-length`) and the first half of the
   * body, then destroys the socket: a connection that breaks mid-response (for a sub-request:
   * the whole `$batch` answer breaks off).
   */
  dropMidResponse?: boolean;
  /** Answers the real page with an `@odata.nextLink` pointing back to the request itself. */
  loopNextLink?: boolean;
}

/** The JSON form the admin API takes (`pathRegex` is a RegExp source). */
export interface FaultSpecJson extends Omit<FaultSpec, 'pathPattern' | 'times'> {
  pathPattern?: string;
  pathRegex?: string;
  regexFlags?: string;
  /** A number, or null/absent for 1; -1 for "until cleared". */
  times?: number | null;
}

export interface ActiveFault {
  id: number;
  spec: FaultSpec;
  remaining: number;
  hits: number;
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  inject(spec: FaultSpec): number {
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('times must be positive');
    if (
      spec.status === undefined &&
      spec.delayMs === undefined &&
      spec.dropConnection !== true &&
      spec.malformedBody !== true &&
      spec.dropMidResponse !== true &&
      spec.loopNextLink !== true
    ) {
      throw new Error(
        'a fault needs status, delayMs, dropConnection, dropMidResponse, malformedBody or loopNextLink',
      );
    }
    const id = this.nextId++;
    this.faults.push({ id, spec, remaining: times, hits: 0 });
    return id;
  }

  injectJson(json: FaultSpecJson): number {
    const { pathPattern, pathRegex, regexFlags, times, ...rest } = json;
    let pattern: RegExp | string;
    if (pathRegex !== undefined) pattern = new RegExp(pathRegex, regexFlags);
    else if (pathPattern !== undefined) pattern = pathPattern;
    else throw new Error('a fault needs pathPattern (substring) or pathRegex');
    return this.inject({
      ...rest,
      pathPattern: pattern,
      times: times === -1 ? Infinity : (times ?? 1),
    });
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): {
    id: number;
    method?: string;
    pathPattern: string;
    remaining: number | null;
    hits: number;
    status?: number;
    inBatch: boolean;
  }[] {
    return this.faults.map((f) => {
      const out: {
        id: number;
        method?: string;
        pathPattern: string;
        remaining: number | null;
        hits: number;
        status?: number;
        inBatch: boolean;
      } = {
        id: f.id,
        pathPattern: String(f.spec.pathPattern),
        remaining: Number.isFinite(f.remaining) ? f.remaining : null,
        hits: f.hits,
        inBatch: f.spec.inBatch === true,
      };
      if (f.spec.method !== undefined) out.method = f.spec.method;
      if (f.spec.status !== undefined) out.status = f.spec.status;
      return out;
    });
  }

  /** The first fault matching the request, consumed (its count goes down). */
  take(method: string, pathAndQuery: string, inBatch: boolean): FaultSpec | undefined {
    for (const f of this.faults) {
      if ((f.spec.inBatch === true) !== inBatch) continue;
      if (f.spec.method !== undefined && f.spec.method.toUpperCase() !== method.toUpperCase())
        continue;
      const p = f.spec.pathPattern;
      const hit =
        typeof p === 'string'
          ? pathAndQuery.includes(p)
          : ((p.lastIndex = 0), p.test(pathAndQuery));
      if (!hit) continue;
      f.remaining -= 1;
      f.hits += 1;
      if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
      return f.spec;
    }
    return undefined;
  }
}
