/**
 * A hold left by a full pass binds the groups scope too (found by the convergence suite): a
 * notification or a delta round for a held team adds its new members but removes nobody and
 * archives nothing until the hold is released or a full pass no longer plans it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { syncGroups } from '../../shared/sync/group-sync.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, entraMembers, run, servicesFor } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
beforeEach(() => {
  sim.admin.reset();
});

describe('a standing hold', () => {
  it('keeps the held removals out of a groups sync, and a release applies them', async () => {
    const services = servicesFor(sim, 'RcHold', { MAX_MEMBERSHIP_REMOVALS_PER_RUN: '1' });
    await run(services);
    sim.admin.removeMember(S.evals, S.ava);
    sim.admin.removeMember(S.evals, S.ben);
    sim.admin.addMember(S.evals, S.gus);
    const { record: held } = await reconcile(services, { trigger: 'timer' });
    expect(held.outcome).toBe('held');

    const { result, record } = await syncGroups(services, new Set([S.evals]), 'notification');
    expect(result.plan.held.map((operation) => operation.kind)).toEqual([
      'membership-removed',
      'membership-removed',
    ]);
    expect(record?.holdReason).toContain(`full pass ${held.runId} held the removals`);
    const { teamSide, userSide } = await entraMembers(services, S.evals);
    expect(teamSide.has(S.ava) && teamSide.has(S.ben) && userSide.has(S.ava)).toBe(true);
    expect(teamSide.has(S.gus)).toBe(true);

    await reconcile(services, { trigger: 'cli', maxMembershipRemovals: 2 });
    const after = await entraMembers(services, S.evals);
    expect(after.teamSide.has(S.ava) || after.teamSide.has(S.ben)).toBe(false);
    // The hold is gone with the pass that applied it: the groups scope removes as usual again.
    sim.admin.removeMember(S.evals, S.gus);
    await syncGroups(services, new Set([S.evals]), 'notification');
    expect((await entraMembers(services, S.evals)).teamSide.has(S.gus)).toBe(false);
  });
});
