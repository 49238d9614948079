/**
 * One listing shared by every caller of an instance: callers that arrive while a listing is in
 * flight wait for that one (single flight), and a listing that succeeded answers every caller
 * until it is older than the allowed age; only then does the next caller start a new one. So a
 * burst of sign-ins costs one listing per age window, whatever its rate, and a change is seen
 * within that window. A failure answers only the callers that waited for it: the next caller
 * starts a new listing rather than being refused for a failure it never saw.
 */
interface Flight<T> {
  /** When the listing was started: what it shows is at least as new as that. */
  readonly startedAt: number;
  readonly result: Promise<T>;
  settled: boolean;
}

export class SharedListing<T> {
  private latest: Flight<T> | undefined;

  constructor(
    private readonly list: () => Promise<T>,
    private readonly defaultMaxAgeMs: number,
    private readonly now: () => number,
  ) {}

  /** The last listing when it is in flight or younger than `maxAgeMs`, else a new one. */
  get(maxAgeMs: number = this.defaultMaxAgeMs): Promise<T> {
    const latest = this.latest;
    if (latest !== undefined && (!latest.settled || this.now() - latest.startedAt < maxAgeMs)) {
      return latest.result;
    }
    return this.start();
  }

  private start(): Promise<T> {
    const flight: Flight<T> = { startedAt: this.now(), result: this.list(), settled: false };
    this.latest = flight;
    flight.result.then(
      () => {
        flight.settled = true;
      },
      () => {
        flight.settled = true;
        if (this.latest === flight) this.latest = undefined;
      },
    );
    return flight.result;
  }
}
