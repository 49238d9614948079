/**
 * Releasing a held run from the console repeats that run, with the limit raised: found by the
 * convergence suite, a hold of a run the operator had allowed to archive every team (no group
 * assigned any more) could not be released, since the release ran without that consent.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseHeldRemovals } from '../../shared/console/release.js';
import { isServiceError } from '../../shared/errors.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, assignedGroupIds, run, servicesFor } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
beforeEach(() => {
  sim.admin.reset();
});

const admin = {
  userId: S.ava,
  name: 'Ava Patel',
  userPrincipalName: 'ava.patel@mishikallm.onmicrosoft.com',
  admin: true,
  sessionId: 'release-test',
  expiresAt: Date.now() + 3_600_000,
};

describe('releasing a hold', () => {
  it('of a run allowed to archive every team archives them, and records the consent', async () => {
    const services = servicesFor(sim, 'RcRel', { MAX_MEMBERSHIP_REMOVALS_PER_RUN: '1' });
    await run(services);
    for (const groupId of assignedGroupIds(sim.admin.getState())) sim.admin.unassignGroup(groupId);

    const refused = await reconcile(services, { trigger: 'cli' }).catch((error: unknown) => error);
    expect(isServiceError(refused, 'sync_refused')).toBe(true);
    const { record: held } = await reconcile(services, {
      trigger: 'cli',
      allowEmptyAssignments: true,
    });
    expect(held).toMatchObject({ outcome: 'held', allowEmptyAssignments: true });
    expect((await services.repository.recentRuns(1))[0]?.allowEmptyAssignments).toBe(true);

    const { run: released } = await releaseHeldRemovals(services, admin, held.runId);
    expect(released).toMatchObject({ outcome: 'succeeded', allowEmptyAssignments: true });
    expect((await services.repository.readTeam(S.evals)).team?.archived).toBe(true);
  });

  it('of an ordinary run does not allow archiving every team', async () => {
    const services = servicesFor(sim, 'RcRel', { MAX_MEMBERSHIP_REMOVALS_PER_RUN: '1' });
    await run(services);
    sim.admin.removeMember(S.evals, S.ava);
    sim.admin.removeMember(S.evals, S.ben);
    const { record: held } = await reconcile(services, { trigger: 'cli' });
    expect(held.outcome).toBe('held');
    expect(held.allowEmptyAssignments).toBeUndefined();
    const { run: released } = await releaseHeldRemovals(services, admin, held.runId);
    expect(released.outcome).toBe('succeeded');
    expect(released.allowEmptyAssignments).toBeUndefined();
  });
});
