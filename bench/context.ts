/** What every phase works with: the tenant, the two workers, the tables' environment. */
import type { SimulatedTenant } from '../dev/tenant/server.js';
import { createPrng } from '../dev/tenant/generate.js';
import type { TableWrite } from '../shared/store/tables.js';
import type { WorkerHandle } from './ipc.js';
import type { bareWrites, SignInInput, Timing } from './floors.js';
import type { BenchOptions } from './sizes.js';
import { changeMemberships, transitiveMembers, unionOf } from './tenant.js';
import type { DeltaRoundMeasure, FullPassMeasure, SignInsMeasure } from './worker.js';

const FLOOR_PREFIX = 'BenchFloor';
/** Cursors a delta round reads at once (shared/sync/delta-round.ts), and so its floor. */
const DELTA_LINK_CONCURRENCY = 4;

export class BenchContext {
  readonly expect: {
    before?: ReadonlyMap<string, ReadonlySet<string>>;
    removals?: number;
    additions?: number;
    newUsers?: number;
    /** `<groupId>/<userId>` of each membership the last change added or removed. */
    addedPairs?: ReadonlySet<string>;
    removedPairs?: ReadonlySet<string>;
  } = {};
  private floorConcurrency = 8;
  /** No copy of the tables for the floor (`--delta-only`): seed the rows a replay deletes. */
  private seedReplay = false;
  private guard: number | undefined;
  private signInUsers: string[] | undefined;

  constructor(
    readonly options: BenchOptions,
    readonly sim: SimulatedTenant,
    readonly env: Record<string, string>,
    private readonly service: WorkerHandle,
    private readonly floor: WorkerHandle,
  ) {}

  fullPass(capture: boolean): Promise<FullPassMeasure> {
    const guard = this.guard;
    this.guard = undefined;
    return this.service.call<FullPassMeasure>({
      op: 'full-pass',
      env: this.env,
      capture,
      ...(guard === undefined ? {} : { maxMembershipRemovals: guard }),
    });
  }

  /** One delta round; the guard of a change made just before sits above it. */
  deltaRound(capture: boolean): Promise<DeltaRoundMeasure> {
    const guard = this.guard;
    this.guard = undefined;
    return this.service.call<DeltaRoundMeasure>({
      op: 'delta-round',
      env: this.env,
      capture,
      ...(guard === undefined ? {} : { maxMembershipRemovals: guard }),
    });
  }

  bareDeltaLinks(links: readonly string[]): Promise<Timing> {
    return this.floor.call<Timing>({
      op: 'bare-delta-links',
      env: this.env,
      links,
      concurrency: DELTA_LINK_CONCURRENCY,
    });
  }

  bareReadPartitions(partitions: readonly string[]): Promise<Timing> {
    return this.floor.call<Timing>({
      op: 'bare-partitions',
      env: this.env,
      partitions,
      concurrency: this.floorConcurrency,
    });
  }

  bareGraph(): Promise<Timing> {
    return this.floor.call<Timing>({ op: 'bare-graph', env: this.env });
  }

  bareRead(keep: boolean): Promise<Timing> {
    return this.floor.call<Timing>({ op: 'bare-read', env: this.env, keep });
  }

  async bareWrites(): Promise<Awaited<ReturnType<typeof bareWrites>>> {
    const result = await this.floor.call<Awaited<ReturnType<typeof bareWrites>>>({
      op: 'bare-writes',
      env: this.env,
      prefix: FLOOR_PREFIX,
    });
    this.floorConcurrency = result.concurrency;
    return result;
  }

  bareReplay(writes: readonly TableWrite[]): Promise<Timing> {
    return this.floor.call<Timing>({
      op: 'bare-replay',
      env: this.env,
      prefix: FLOOR_PREFIX,
      writes,
      concurrency: this.floorConcurrency,
      seed: this.seedReplay,
    });
  }

  seedFloorForReplay(): void {
    this.seedReplay = true;
    this.floorConcurrency = 16;
  }

  /** Removes and adds about `--change` of the memberships; the next pass's guard sits above. */
  changeMemberships(): void {
    const before = transitiveMembers(this.sim.admin.getState());
    changeMemberships(this.sim, createPrng(`${this.options.seed}/changes`), this.options.change);
    const after = transitiveMembers(this.sim.admin.getState());
    const addedPairs = new Set<string>();
    const removedPairs = new Set<string>();
    for (const [groupId, now] of after) {
      const was = before.get(groupId) ?? new Set<string>();
      for (const id of now) if (!was.has(id)) addedPairs.add(`${groupId}/${id}`);
      for (const id of was) if (!now.has(id)) removedPairs.add(`${groupId}/${id}`);
    }
    const removals = removedPairs.size;
    this.expect.before = before;
    this.expect.removals = removals;
    this.expect.additions = addedPairs.size;
    this.expect.addedPairs = addedPairs;
    this.expect.removedPairs = removedPairs;
    const known = unionOf(before);
    this.expect.newUsers = [...unionOf(after)].filter((id) => !known.has(id)).length;
    this.guard = removals + 1;
  }

  /** The same random enabled members each round, each with a fresh token. */
  private async signInInputs(): Promise<SignInInput[]> {
    if (this.signInUsers === undefined) {
      const state = this.sim.admin.getState();
      const enabled = new Set(
        state.users.filter((user) => user.accountEnabled).map((user) => user.id),
      );
      const candidates = [...unionOf(transitiveMembers(state))]
        .filter((id) => enabled.has(id))
        .sort();
      const rand = createPrng(`${this.options.seed}/signins`);
      for (let i = candidates.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [candidates[i], candidates[j]] = [candidates[j] ?? '', candidates[i] ?? ''];
      }
      this.signInUsers = candidates.slice(0, this.options.signIns);
    }
    return Promise.all(
      this.signInUsers.map(async (userId) => ({
        userId,
        token: await this.sim.issueToken({ userId }),
      })),
    );
  }

  async signIns(): Promise<SignInsMeasure> {
    const inputs = await this.signInInputs();
    return this.service.call<SignInsMeasure>({
      op: 'sign-ins',
      env: this.env,
      inputs,
      concurrency: this.options.concurrency,
    });
  }

  async bareSignIns(): Promise<{ latenciesMs: number[]; ms: number; tableReads: number }> {
    const inputs = await this.signInInputs();
    return this.floor.call({
      op: 'bare-sign-ins',
      env: this.env,
      inputs,
      concurrency: this.options.concurrency,
    });
  }
}
