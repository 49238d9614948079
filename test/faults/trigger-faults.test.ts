/**
 * Suite 4 on the other triggers: a sign-in through POST /api/sync/me and a delta round while
 * Graph breaks answers off, corrupts or loops them. Each ends right or refuses, removing
 * nothing Entra still has, and the next fault-free sign-in or round converges.
 * (A sign-in under a 503/429 storm: test/sign-in/walkthrough.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncMe } from '../../functions/sync-me.js';
import { useServices } from '../../shared/services.js';
import { createGroupDeltaFeed } from '../../shared/graph/delta.js';
import { deltaRound } from '../../shared/sync/delta-round.js';
import {
  entraMembers,
  expectTablesMatchEntra,
  fast,
  run,
  S,
  SAMPLE,
  servicesFor,
} from '../reconcile/helpers.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const sim = useSimulatedTenant(SAMPLE);
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  sim.admin.clearFeedFaults();
  sim.admin.configureFeeds({ deltaTokenExpiredAs: 'syncStateNotFound' });
});
afterEach(() => {
  useServices(undefined);
});

async function signIn(userId: string) {
  const token = await sim.issueToken({ userId });
  return invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: { authorization: `Bearer ${token}` },
  });
}

describe('a sign-in while Graph misbehaves', () => {
  it('an answer cut off mid-response is retried; a corrupt or looping group list refuses and removes nothing', async () => {
    const services = servicesFor(sim, 'FaS');
    useServices(services);
    // Gus is assigned to the app directly, so he stays assigned whatever his groups.
    expect((await signIn(S.gus)).status).toBe(200);
    sim.admin.addMember(S.evals, S.gus);
    sim.faults.inject({ pathPattern: '$batch', dropMidResponse: true, times: 1 });
    sim.faults.inject({ pathPattern: 'getMemberGroups', dropConnection: true, inBatch: true });
    const healed = await signIn(S.gus);
    expect(healed.status, healed.text).toBe(200);
    expect(sim.faults.list()).toEqual([]);
    expect((await entraMembers(services, S.evals)).teamSide.has(S.gus)).toBe(true);

    sim.admin.removeMember(S.evals, S.gus);
    for (const fault of [{ malformedBody: true }, { loopNextLink: true }]) {
      sim.faults.inject({
        pathPattern: 'getMemberGroups',
        inBatch: true,
        times: Infinity,
        ...fault,
      });
      const refused = await signIn(S.gus);
      expect(refused.status).toBe(503);
      expect(refused.json).toMatchObject({ error: 'graph_incomplete' });
      const { teamSide, userSide } = await entraMembers(services, S.evals);
      expect(teamSide.has(S.gus) && userSide.has(S.gus)).toBe(true);
      sim.faults.clear();
    }
    expect((await signIn(S.gus)).status).toBe(200);
    expect((await entraMembers(services, S.evals)).teamSide.has(S.gus)).toBe(false);
  });
});

describe('a delta round while Graph misbehaves', () => {
  async function started() {
    const base = servicesFor(sim, 'FaD');
    const services = {
      ...base,
      createDeltaFeed: () => createGroupDeltaFeed(base.settings, { sleep: fast }),
    };
    await run(services);
    expect((await deltaRound(services)).syncedGroups).toEqual([]);
    return services;
  }

  it('a delta page cut off, dropped or throttled is retried; the change is synced', async () => {
    const services = await started();
    sim.admin.addMember(S.evals, S.gus);
    sim.faults.inject({ pathPattern: '/groups/delta', dropMidResponse: true, times: 1 });
    sim.faults.inject({ pathPattern: '/groups/delta', dropConnection: true, times: 1 });
    sim.faults.inject({ pathPattern: '/groups/delta', status: 429, times: 2 });
    const round = await deltaRound(services);
    expect(round).toMatchObject({ outcome: 'synced', syncedGroups: [S.evals] });
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('a delta page that is not JSON, or loops, fails the round coded; the next round syncs the change', async () => {
    const services = await started();
    sim.admin.removeMember(S.evals, S.ben);
    // A body that is not JSON counts as no answer (retried, then unavailable); a loop is refused.
    for (const [fault, code] of [
      [{ malformedBody: true }, 'graph_unavailable'],
      [{ loopNextLink: true }, 'graph_incomplete'],
    ] as const) {
      sim.faults.inject({ pathPattern: '/groups/delta', times: Infinity, ...fault });
      sim.resetCounters();
      const error: unknown = await deltaRound(services).catch((caught: unknown) => caught);
      // Bounded: eight attempts at the unreadable page; the looping page read once.
      const deltaRequests = Object.entries(sim.counters().requestsByRoute)
        .filter(([route]) => route.includes('/groups/delta'))
        .reduce((sum, [, count]) => sum + count, 0);
      expect(deltaRequests, JSON.stringify(sim.counters().requestsByRoute)).toBeLessThanOrEqual(8);
      expect(error).toMatchObject({ code, deltaRound: { outcome: 'failed' } });
      // Nothing was synced, and the cursor still stands before the change.
      expect((await entraMembers(services, S.evals)).teamSide.has(S.ben)).toBe(true);
      sim.faults.clear();
    }
    const round = await deltaRound(services);
    expect(round).toMatchObject({ outcome: 'synced', syncedGroups: [S.evals] });
    await expectTablesMatchEntra(services, sim.admin.getState());
  });

  it('a changed group whose members cannot be read: partial, and the next round syncs it', async () => {
    const services = await started();
    sim.admin.addMember(S.evals, S.gus);
    sim.faults.inject({
      pathPattern: `/groups/${S.evals}/transitiveMembers`,
      status: 500,
      times: Infinity,
      inBatch: true,
    });
    const partial = await deltaRound(services);
    expect(partial).toMatchObject({ outcome: 'partial', syncedGroups: [S.evals] });
    expect((await entraMembers(services, S.evals)).teamSide.has(S.gus)).toBe(false);
    sim.faults.clear();
    // The change is read again: the cursor did not move past it.
    const next = await deltaRound(services);
    expect(next).toMatchObject({ outcome: 'synced', syncedGroups: [S.evals] });
    await expectTablesMatchEntra(services, sim.admin.getState());
  });
});
