/**
 * What the measured worker counts beneath the service's code, without changing it: Table
 * Storage requests (through a `Tables` subclass), time in Graph calls, retry sleeps, and the
 * process's resident memory. Counts go to the phase, and to the sign-in in whose async context
 * they happen (so the slowest sign-in can say where its time went).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { DirectoryReader } from '../shared/graph/index.js';
import {
  Tables,
  type ApplyReport,
  type EntityPage,
  type TableWrite,
} from '../shared/store/tables.js';

export interface Traffic {
  tableReads: number;
  entitiesRead: number;
  tableReadMs: number;
  /** Of those, the requests and entities of Teams and Users (a delta round should read none). */
  contractReads: number;
  contractEntitiesRead: number;
  /** Entities written to Teams and Users, the requests and the time they took. */
  contractWrites: number;
  contractRequests: number;
  contractMs: number;
  /** The audit log, run record, lease and hold. */
  bookkeepingWrites: number;
  bookkeepingRequests: number;
  bookkeepingMs: number;
  graphMs: number;
  retryWaits: number;
  retryWaitMs: number;
}

export function emptyTraffic(): Traffic {
  return {
    tableReads: 0,
    entitiesRead: 0,
    tableReadMs: 0,
    contractReads: 0,
    contractEntitiesRead: 0,
    contractWrites: 0,
    contractRequests: 0,
    contractMs: 0,
    bookkeepingWrites: 0,
    bookkeepingRequests: 0,
    bookkeepingMs: 0,
    graphMs: 0,
    retryWaits: 0,
    retryWaitMs: 0,
  };
}

/** The phase's counters, and the current sign-in's when inside one. */
export const phase = { traffic: emptyTraffic() };
const local = new AsyncLocalStorage<Traffic>();

export function inOwnContext<T>(traffic: Traffic, work: () => Promise<T>): Promise<T> {
  return local.run(traffic, work);
}

function count(add: (traffic: Traffic) => void): void {
  add(phase.traffic);
  const own = local.getStore();
  if (own !== undefined) add(own);
}

async function timed<T>(work: Promise<T>, add: (traffic: Traffic, ms: number) => void): Promise<T> {
  const started = performance.now();
  try {
    return await work;
  } finally {
    const elapsed = performance.now() - started;
    count((traffic) => {
      add(traffic, elapsed);
    });
  }
}

/**
 * Contract writes of the phase, kept when asked so the floor can replay the same writes, and the
 * Teams/Users partitions it read one by one, so the floor can read the same ones bare.
 */
export const captured: {
  enabled: boolean;
  writes: TableWrite[];
  partitions: Set<string>;
} = { enabled: false, writes: [], partitions: new Set() };

const isContract = (role: string) => role === 'teams' || role === 'users';

/** `teams/<key>` or `users/<key>`: a partition the floor reads bare. */
export const partitionRef = (role: string, key: string) => `${role}/${key}`;

export class CountingTables extends Tables {
  override async applyWrites(
    writes: readonly TableWrite[],
    options?: { concurrency?: number },
  ): Promise<ApplyReport> {
    const started = performance.now();
    const report = await super.applyWrites(writes, options);
    const elapsed = performance.now() - started;
    const contract = writes.some((write) => write.table === 'teams' || write.table === 'users');
    if (contract && captured.enabled) captured.writes.push(...writes);
    count((t) => {
      if (contract) {
        t.contractWrites += report.applied;
        t.contractRequests += report.requests;
        t.contractMs += elapsed;
      } else {
        t.bookkeepingWrites += report.applied;
        t.bookkeepingRequests += report.requests;
        t.bookkeepingMs += elapsed;
      }
    });
    return report;
  }

  override async listPage(...args: Parameters<Tables['listPage']>): Promise<EntityPage> {
    const contract = isContract(args[0]);
    const page = await timed(super.listPage(...args), (t, ms) => {
      t.tableReadMs += ms;
      t.tableReads += 1;
      if (contract) t.contractReads += 1;
    });
    count((t) => {
      t.entitiesRead += page.entities.length;
      if (contract) t.contractEntitiesRead += page.entities.length;
    });
    return page;
  }

  override readPartition(
    ...args: Parameters<Tables['readPartition']>
  ): ReturnType<Tables['readPartition']> {
    const [role, key] = args;
    if (captured.enabled && isContract(role)) captured.partitions.add(partitionRef(role, key));
    return super.readPartition(...args);
  }

  override async readEntity(
    ...args: Parameters<Tables['readEntity']>
  ): ReturnType<Tables['readEntity']> {
    const contract = isContract(args[0]);
    const entity = await timed(super.readEntity(...args), (t, ms) => {
      t.tableReadMs += ms;
      t.tableReads += 1;
      if (contract) t.contractReads += 1;
    });
    if (entity !== undefined) {
      count((t) => {
        t.entitiesRead += 1;
        if (contract) t.contractEntitiesRead += 1;
      });
    }
    return entity;
  }
}

/** The Graph reader's retry sleep, counted. */
export function countedSleep(ms: number): Promise<void> {
  count((t) => {
    t.retryWaits += 1;
    t.retryWaitMs += ms;
  });
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A `DirectoryReader` that counts the time of each call. */
export function timedDirectory(reader: DirectoryReader): DirectoryReader {
  const add = (t: Traffic, ms: number): void => {
    t.graphMs += ms;
  };
  return {
    get requestCount() {
      return reader.requestCount;
    },
    servicePrincipalId: () => timed(reader.servicePrincipalId(), add),
    assignedGroups: (options) => timed(reader.assignedGroups(options), add),
    appAssignments: (options) => timed(reader.appAssignments(options), add),
    appRoles: (options) => timed(reader.appRoles(options), add),
    userWithGroups: (userId, membership) => timed(reader.userWithGroups(userId, membership), add),
    groupMembers: (groupIds, membership, onGroupDone) =>
      timed(reader.groupMembers(groupIds, membership, onGroupDone), add),
    users: (userIds) => timed(reader.users(userIds), add),
  };
}

/** The highest resident set size seen while it runs, sampled every 50 ms. */
export class RssSampler {
  private peak = process.memoryUsage.rss();
  private readonly timer = setInterval(() => {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }, 50);

  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, process.memoryUsage.rss());
  }
}
