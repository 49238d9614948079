/**
 * The benchmark's worker processes. The service worker runs nothing but the service's code (a
 * full pass, a delta round, sign-ins with their token check) and counts beneath it; the floor worker, a
 * process of its own so its memory never shows in the service's, does the same work bare.
 */
import { performance } from 'node:perf_hooks';
import { validateEntraToken } from '../shared/auth/index.js';
import { loadSettings } from '../shared/config/settings.js';
import { createDirectoryReader } from '../shared/graph/index.js';
import { createServices, type Services } from '../shared/services.js';
import { createRepository, tableClientFactory } from '../shared/store/index.js';
import type { TableWrite } from '../shared/store/tables.js';
import { deltaRound } from '../shared/sync/delta-round.js';
import type { DeltaRoundRecord } from '../shared/sync/delta-model.js';
import { reconcile } from '../shared/sync/reconcile.js';
import type { RunSummary } from '../shared/sync/run-records.js';
import { syncSignedInUser } from '../shared/sync/sign-in.js';
import {
  captured,
  CountingTables,
  countedSleep,
  emptyTraffic,
  inOwnContext,
  partitionRef,
  phase,
  RssSampler,
  timedDirectory,
  type Traffic,
} from './counters.js';
import {
  bareDeltaLinks,
  bareGraphPass,
  barePartitions,
  bareRead,
  bareReplay,
  bareSignIns,
  bareWrites,
  graphEnv,
  type Partitions,
  type SignInInput,
  type Timing,
} from './floors.js';

export type WorkerRequest =
  | {
      readonly op: 'full-pass';
      readonly env: Record<string, string>;
      readonly maxMembershipRemovals?: number;
      readonly capture: boolean;
    }
  | {
      readonly op: 'sign-ins';
      readonly env: Record<string, string>;
      readonly inputs: readonly SignInInput[];
      readonly concurrency: number;
    }
  | { readonly op: 'bare-read'; readonly env: Record<string, string>; readonly keep: boolean }
  | { readonly op: 'bare-writes'; readonly env: Record<string, string>; readonly prefix: string }
  | {
      readonly op: 'bare-replay';
      readonly env: Record<string, string>;
      readonly prefix: string;
      readonly writes: readonly TableWrite[];
      readonly concurrency: number;
      /** Create the rows the writes delete first (untimed): no floor copy of the tables. */
      readonly seed?: boolean;
    }
  | {
      readonly op: 'delta-round';
      readonly env: Record<string, string>;
      readonly maxMembershipRemovals?: number;
      readonly capture: boolean;
    }
  | { readonly op: 'bare-graph'; readonly env: Record<string, string> }
  | {
      readonly op: 'bare-delta-links';
      readonly env: Record<string, string>;
      readonly links: readonly string[];
      readonly concurrency: number;
    }
  | {
      readonly op: 'bare-partitions';
      readonly env: Record<string, string>;
      readonly partitions: readonly string[];
      readonly concurrency: number;
    }
  | {
      readonly op: 'bare-sign-ins';
      readonly env: Record<string, string>;
      readonly inputs: readonly SignInInput[];
      readonly concurrency: number;
    };

export interface FullPassMeasure {
  readonly wallMs: number;
  readonly outcome: string;
  readonly summary: RunSummary | undefined;
  readonly holdReason: string | undefined;
  readonly traffic: Traffic;
  readonly peakRssBytes: number;
  readonly writes: readonly TableWrite[];
}

export interface DeltaRoundMeasure {
  readonly wallMs: number;
  readonly record: DeltaRoundRecord;
  readonly traffic: Traffic;
  readonly peakRssBytes: number;
  /** The deltaLinks the round started from (the cursors stored before it). */
  readonly links: readonly string[];
  /** Cursors stored after the round. */
  readonly cursorsAfter: number;
  readonly writes: readonly TableWrite[];
  /** Teams/Users partitions the round read one by one. */
  readonly partitionsRead: number;
  /** The floor's partitions: the Teams partitions read, and the Users partitions written. */
  readonly floorPartitions: readonly string[];
}

export interface SignInRecord {
  readonly userId: string;
  readonly ms: number;
  readonly tokenMs: number;
  readonly tableWrites: number;
  readonly traffic: Traffic;
}

export interface SignInsMeasure {
  readonly wallMs: number;
  readonly signIns: readonly SignInRecord[];
  readonly graphRequests: number;
  readonly usersCreated: number;
  readonly teamsCreated: number;
  readonly membershipsAdded: number;
  readonly membershipsRemoved: number;
  readonly errors: readonly string[];
  readonly peakRssBytes: number;
}

export type WorkerResult =
  | FullPassMeasure
  | DeltaRoundMeasure
  | SignInsMeasure
  | Timing
  | Awaited<ReturnType<typeof bareWrites>>
  | Awaited<ReturnType<typeof bareSignIns>>;

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

const servicesByPrefix = new Map<string, Services>();
function servicesFor(env: Record<string, string>): Services {
  const prefix = env.TABLE_PREFIX ?? '';
  let services = servicesByPrefix.get(prefix);
  if (services === undefined) {
    const settings = loadSettings(env);
    services = createServices(settings, {
      repository: createRepository(
        new CountingTables(
          tableClientFactory(settings.tables, settings.entra.managedIdentityClientId),
          settings.tables.prefix,
        ),
      ),
      createDirectory: (options) =>
        timedDirectory(createDirectoryReader(settings, { ...options, sleep: countedSleep })),
    });
    servicesByPrefix.set(prefix, services);
  }
  return services;
}

async function fullPass(
  request: Extract<WorkerRequest, { op: 'full-pass' }>,
): Promise<FullPassMeasure> {
  const services = servicesFor(request.env);
  phase.traffic = emptyTraffic();
  captured.enabled = request.capture;
  captured.writes = [];
  const rss = new RssSampler();
  const started = performance.now();
  const { record } = await reconcile(services, {
    trigger: 'cli',
    ...(request.maxMembershipRemovals === undefined
      ? {}
      : { maxMembershipRemovals: request.maxMembershipRemovals }),
  });
  const wallMs = performance.now() - started;
  captured.enabled = false;
  const writes = captured.writes;
  captured.writes = [];
  return {
    wallMs,
    outcome: record.outcome,
    summary: record.summary,
    holdReason: record.holdReason,
    traffic: phase.traffic,
    peakRssBytes: rss.stop(),
    writes,
  };
}

/** One delta round, as the delta timer runs it, with the guard the phase asks for. */
async function measuredDeltaRound(
  request: Extract<WorkerRequest, { op: 'delta-round' }>,
): Promise<DeltaRoundMeasure> {
  const services = servicesFor(request.env);
  const links = (await services.repository.deltaCursors()).map((cursor) => cursor.deltaLink);
  const settings =
    request.maxMembershipRemovals === undefined
      ? services.settings
      : {
          ...services.settings,
          sync: {
            ...services.settings.sync,
            maxMembershipRemovalsPerRun: request.maxMembershipRemovals,
          },
        };
  phase.traffic = emptyTraffic();
  captured.enabled = request.capture;
  captured.writes = [];
  captured.partitions = new Set();
  const rss = new RssSampler();
  const started = performance.now();
  const record = await deltaRound({ ...services, settings });
  const wallMs = performance.now() - started;
  const traffic = phase.traffic;
  const peakRssBytes = rss.stop();
  captured.enabled = false;
  const { writes, partitions } = captured;
  captured.writes = [];
  captured.partitions = new Set();
  const written = writes.flatMap((write) =>
    write.table === 'users' ? [partitionRef('users', write.partitionKey)] : [],
  );
  const teamsRead = [...partitions].filter((ref) => ref.startsWith('teams/'));
  return {
    wallMs,
    record,
    traffic,
    peakRssBytes,
    links,
    cursorsAfter: (await services.repository.deltaCursors()).length,
    writes,
    partitionsRead: partitions.size,
    floorPartitions: [...new Set([...teamsRead, ...written])],
  };
}

async function signIns(
  request: Extract<WorkerRequest, { op: 'sign-ins' }>,
): Promise<SignInsMeasure> {
  const services = servicesFor(request.env);
  phase.traffic = emptyTraffic();
  const rss = new RssSampler();
  const requestsBefore = services.directory.requestCount;
  const records: SignInRecord[] = [];
  const errors: string[] = [];
  const made = { users: 0, teams: 0, added: 0, removed: 0 };
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < request.inputs.length; index = next++) {
      const input = request.inputs[index];
      if (input === undefined) continue;
      const traffic = emptyTraffic();
      await inOwnContext(traffic, async () => {
        const begun = performance.now();
        try {
          const { identity } = await validateEntraToken(input.token, {
            settings: services.settings,
            kind: 'any',
          });
          const tokenMs = performance.now() - begun;
          const result = await syncSignedInUser(services, identity);
          records.push({
            userId: input.userId,
            ms: performance.now() - begun,
            tokenMs,
            tableWrites: result.changes.tableWrites,
            traffic,
          });
          if (result.user.created) made.users += 1;
          made.teams += result.changes.teamsCreated.length;
          made.added += result.changes.membershipsAdded.length;
          made.removed += result.changes.membershipsRemoved.length;
        } catch (error) {
          errors.push(describe(error));
        }
      });
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, worker));
  return {
    wallMs: performance.now() - started,
    signIns: records,
    graphRequests: services.directory.requestCount - requestsBefore,
    usersCreated: made.users,
    teamsCreated: made.teams,
    membershipsAdded: made.added,
    membershipsRemoved: made.removed,
    errors: errors.slice(0, 5).concat(errors.length > 5 ? [`… ${errors.length} in all`] : []),
    peakRssBytes: rss.stop(),
  };
}

/** The entities the floor worker read last, for the write floor that follows. */
let lastRead: Partitions = new Map();

async function handle(request: WorkerRequest): Promise<WorkerResult> {
  const connection = request.env.TABLES_CONNECTION_STRING ?? '';
  const prefix = request.env.TABLE_PREFIX ?? '';
  switch (request.op) {
    case 'full-pass':
      return fullPass(request);
    case 'sign-ins':
      return signIns(request);
    case 'bare-read': {
      const read = await bareRead(connection, prefix, request.keep);
      lastRead = read.partitions;
      return { ms: read.ms, entities: read.entities, requests: read.requests };
    }
    case 'bare-writes': {
      const written = await bareWrites(connection, request.prefix, lastRead);
      lastRead = new Map();
      return written;
    }
    case 'bare-replay':
      return bareReplay(connection, request.prefix, request.writes, request.concurrency, {
        seed: request.seed === true,
      });
    case 'delta-round':
      return measuredDeltaRound(request);
    case 'bare-graph':
      return bareGraphPass(graphEnv(request.env), request.env.GROUP_MEMBERSHIP !== 'direct');
    case 'bare-delta-links':
      return bareDeltaLinks(graphEnv(request.env), request.links, request.concurrency);
    case 'bare-partitions':
      return barePartitions(connection, prefix, request.partitions, request.concurrency);
    case 'bare-sign-ins':
      return bareSignIns(
        connection,
        prefix,
        graphEnv(request.env),
        request.inputs,
        request.concurrency,
      );
  }
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: WorkerResult }
  | { readonly id: number; readonly ok: false; readonly error: string };

export function runWorker(): void {
  // One request at a time: the launcher waits for each answer.
  process.on('message', (message) => {
    const { id, ...request } = message as WorkerRequest & { id: number };
    handle(request).then(
      (result) => process.send?.({ id, ok: true, result } satisfies WorkerReply),
      (error: unknown) =>
        process.send?.({ id, ok: false, error: describe(error) } satisfies WorkerReply),
    );
  });
  process.on('disconnect', () => {
    process.exit(0);
  });
}
