/**
 * A sign-in whose rows keep changing under it (another writer between its read and its write)
 * re-reads and re-plans after a pause that grows, and settles instead of giving up: under the
 * load suite, three immediate attempts ended in `409 store_conflict` one to five times a run.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/errors.js';
import type { Services } from '../../shared/services.js';
import { conflictPauseMs } from '../../shared/sync/engine.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import { S, run, servicesFor } from '../reconcile/helpers.js';
import { tablesOf } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const sim = useSimulatedTenant();
beforeEach(() => {
  sim.admin.reset();
});

/** Services whose repository lets a rival touch the user's row before each of the first `n` applies. */
function contested(services: Services, userId: string, n: number): Services {
  let rivalsLeft = n;
  const repository = Object.create(services.repository) as Services['repository'];
  repository.apply = async (operations, current) => {
    if (rivalsLeft > 0) {
      rivalsLeft -= 1;
      const users = await tablesOf(services).table('users');
      await users.upsertEntity(
        { partitionKey: userId, rowKey: 'user', rivalWrites: n - rivalsLeft },
        'Merge',
      );
    }
    return services.repository.apply(operations, current);
  };
  return { ...services, repository };
}

describe('a sign-in that meets stale ETags', () => {
  it('pauses, growing and jittered, between attempts, and settles on the fifth', async () => {
    const base = servicesFor(sim, 'SgRetry');
    await run(base);
    const pauses: number[] = [];
    const services = {
      ...contested(base, S.ava, 4),
      sleep: (ms: number) => {
        pauses.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    };
    const result = await syncSignedInUser(services, { userId: S.ava, tenantId: S.tenantId });
    expect(result.changes.tableWrites).toBeGreaterThan(0);
    expect(pauses).toEqual([1, 2, 3, 4].map((attempt) => conflictPauseMs(attempt, () => 0.5)));
    expect(pauses).toEqual([25, 50, 100, 200]);
  });

  it('gives up with store_conflict once its attempts are spent', async () => {
    const base = servicesFor(sim, 'SgRetry');
    await run(base);
    const services = { ...contested(base, S.ava, 5), sleep: () => Promise.resolve() };
    const refusal: unknown = await syncSignedInUser(services, {
      userId: S.ava,
      tenantId: S.tenantId,
    }).catch((error: unknown) => error);
    expect(isServiceError(refusal, 'store_conflict')).toBe(true);
  });

  it('keeps each pause under 25 ms × 2^attempt', () => {
    for (const attempt of [1, 2, 3, 4]) {
      expect(conflictPauseMs(attempt, () => 0)).toBe(0);
      expect(conflictPauseMs(attempt, () => 0.999)).toBeLessThanOrEqual(25 * 2 ** attempt);
    }
  });
});
