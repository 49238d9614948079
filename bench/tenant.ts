/** The generated tenant as the benchmark sees it: who should be where, and the change phase's edits. */
import { performance } from 'node:perf_hooks';
import { generateTenant } from '../dev/tenant/generate.js';
import type { ParsedTenantData, TenantData } from '../dev/tenant/model.js';
import type { SimulatedTenant, TenantCounters } from '../dev/tenant/server.js';
import type { TenantSize } from './sizes.js';

/** A bench size's tenant: the assigned groups, nested chains under ten of them, ten more nobody assigned. */
export function benchTenant(size: TenantSize, seed: string): TenantData {
  return generateTenant({
    seed,
    users: size.users,
    groups: size.groups + size.nestingDepth * 10 + 10,
    assignedGroups: size.groups,
    membershipsPerGroup: { min: size.minMembers, max: size.maxMembers },
    largestGroupMembers: size.largest,
    nestingDepth: size.nestingDepth,
  });
}

/** Users (not groups) who are members of each assigned group, through nested groups. */
export function transitiveMembers(state: ParsedTenantData): Map<string, Set<string>> {
  const groups = new Map(state.groups.map((group) => [group.id, group]));
  const userIds = new Set(state.users.map((user) => user.id));
  const result = new Map<string, Set<string>>();
  for (const { principalId } of state.assignments) {
    if (!groups.has(principalId)) continue;
    const found = new Set<string>();
    const seen = new Set<string>();
    const visit = (id: string): void => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const member of groups.get(id)?.members ?? []) {
        if (userIds.has(member)) found.add(member);
        else visit(member);
      }
    };
    visit(principalId);
    result.set(principalId.toLowerCase(), found);
  }
  return result;
}

export function countMemberships(members: ReadonlyMap<string, ReadonlySet<string>>): number {
  let total = 0;
  for (const set of members.values()) total += set.size;
  return total;
}

export function unionOf(members: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const all = new Set<string>();
  for (const set of members.values()) for (const id of set) all.add(id);
  return all;
}

/** Removes and adds direct user memberships of assigned groups, about `fraction` of them. */
export function changeMemberships(
  sim: SimulatedTenant,
  rand: () => number,
  fraction: number,
): { removed: number; added: number } {
  const state = sim.admin.getState();
  const assigned = new Set(state.assignments.map((assignment) => assignment.principalId));
  const userIds = state.users.map((user) => user.id);
  const userSet = new Set(userIds);
  const assignedGroups = state.groups.filter((group) => assigned.has(group.id));
  const direct = new Map(assignedGroups.map((group) => [group.id, new Set(group.members)]));
  const pairs: [string, string][] = [];
  for (const group of assignedGroups) {
    for (const member of group.members) if (userSet.has(member)) pairs.push([group.id, member]);
  }
  const target = Math.max(2, Math.round(countMemberships(transitiveMembers(state)) * fraction));
  const removals = Math.floor(target / 2);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(rand() * items.length)];
  const taken = new Set<string>();
  let removed = 0;
  for (let tries = 0; removed < removals && tries < removals * 20; tries++) {
    const pair = pick(pairs);
    if (pair === undefined || taken.has(pair.join('/'))) continue;
    taken.add(pair.join('/'));
    sim.admin.removeMember(pair[0], pair[1]);
    removed += 1;
  }
  let added = 0;
  for (let tries = 0; added < target - removals && tries < target * 20; tries++) {
    const group = pick(assignedGroups);
    const userId = pick(userIds);
    if (group === undefined || userId === undefined) continue;
    if (direct.get(group.id)?.has(userId) !== false) continue;
    if (taken.has(`${group.id}/${userId}`)) continue;
    taken.add(`${group.id}/${userId}`);
    sim.admin.addMember(group.id, userId);
    added += 1;
  }
  return { removed, added };
}

/** Samples the tenant's resource-unit counter to find the busiest 10-second window. */
export class RuSampler {
  private readonly samples: { at: number; ru: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sim: SimulatedTenant) {
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
    }, 100);
  }

  private sample(): void {
    this.samples.push({ at: performance.now(), ru: this.sim.counters().resourceUnitsSpent });
  }

  /** The most resource units spent in any 10 s. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let peak = 0;
    let start = 0;
    for (const end of this.samples) {
      while ((this.samples[start]?.at ?? end.at) < end.at - 10_000) start += 1;
      peak = Math.max(peak, end.ru - (this.samples[start]?.ru ?? 0));
    }
    return peak;
  }
}

export interface GraphTraffic {
  readonly batchSubRequests: number;
  readonly resourceUnits: number;
  readonly peakRuPer10s: number;
  readonly throttled: number;
  readonly status429: number;
  readonly tokenRequests: number;
  readonly httpRequests: number;
}

export function trafficOf(counters: TenantCounters, peakRuPer10s: number): GraphTraffic {
  const tokenRequests = Object.entries(counters.requestsByRoute)
    .filter(([route]) => route.endsWith('/oauth2/v2.0/token'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    batchSubRequests: counters.batchSubRequests,
    resourceUnits: counters.resourceUnitsSpent,
    peakRuPer10s,
    throttled: counters.throttled,
    status429: counters.statuses['429'] ?? 0,
    tokenRequests,
    httpRequests: counters.total,
  };
}
