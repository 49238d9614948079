/**
 * Sign-in beside the full pass: it never drains what the mass-removal guard held, one user at
 * a time, and it reads only the user's partition, the guard's hold and the rows of the teams in
 * view (each table request counted).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createDirectoryReader } from '../../shared/graph/index.js';
import { createServices, type Services } from '../../shared/services.js';
import { createRepository, tableClientFactory } from '../../shared/store/index.js';
import { Tables, type EntityPage } from '../../shared/store/tables.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import { S, entraMembers, fast, run, servicesFor } from '../reconcile/helpers.js';
import { testSettings } from '../support/services.js';
import { uniqueTablePrefix } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const sim = useSimulatedTenant();
beforeEach(() => {
  sim.admin.reset();
});

const signIn = (services: Services, userId: string) =>
  syncSignedInUser(services, { userId, tenantId: S.tenantId });

describe('a sign-in after a full pass whose guard held removals', () => {
  it('removes nobody from a held team, still adds, and follows the release', async () => {
    // SIGN_IN_USERS=any: by default a user who left their only assigned group is refused at
    // sign-in and nothing is written (test/sign-in/access.test.ts); here the sign-in must run.
    const target = servicesFor(sim, 'SgHold', {
      MAX_MEMBERSHIP_REMOVALS_PER_RUN: '1',
      SIGN_IN_USERS: 'any',
    });
    await run(target);
    sim.admin.removeMember(S.evals, S.ava);
    sim.admin.removeMember(S.evals, S.ben);
    const held = await run(target);
    expect(held.outcome).toBe('held');
    expect(held.summary?.membershipsHeld).toBe(2);

    // Ben left the group, but the guard held his removal: his sign-in keeps it held.
    const ben = await signIn(target, S.ben);
    expect(ben.changes.membershipsRemoved).toEqual([]);
    expect(ben.changes.tableWrites).toBe(1);
    expect(ben.teams.map((team) => team.teamId)).toContain(S.evals);
    expect((await entraMembers(target, S.evals)).teamSide.has(S.ben)).toBe(true);

    // An addition to the held team is no removal: a sign-in applies it.
    sim.admin.addMember(S.evals, S.farah);
    const farah = await signIn(target, S.farah);
    expect(farah.changes.membershipsAdded).toEqual([S.evals]);

    // The operator releases the hold: the removals are applied and the hold is gone.
    const released = await run(target, { maxMembershipRemovals: 10 });
    expect(released.outcome).toBe('succeeded');
    expect(released.summary?.membershipsRemoved).toBe(2);
    expect(await target.repository.readHold()).toBeUndefined();

    // With no hold, a sign-in removes as before.
    sim.admin.removeMember(S.evals, S.farah);
    const gone = await signIn(target, S.farah);
    expect(gone.changes.membershipsRemoved).toEqual([S.evals]);
  });

  it('records the hold once: a second held run over the same tenant writes nothing to SyncState', async () => {
    const target = servicesFor(sim, 'SgHold2', { MAX_MEMBERSHIP_REMOVALS_PER_RUN: '0' });
    await run(target);
    sim.admin.removeMember(S.evals, S.ben);
    const first = await run(target);
    const hold = await target.repository.readHold();
    expect(hold?.runId).toBe(first.runId);
    expect(hold?.teamIds).toEqual(new Set([S.evals]));
    await run(target);
    expect((await target.repository.readHold())?.runId).toBe(first.runId);
  });
});

/** Counts every table request beneath the repository. */
class CountingTables extends Tables {
  reads = 0;

  override async listPage(...args: Parameters<Tables['listPage']>): Promise<EntityPage> {
    this.reads += 1;
    return super.listPage(...args);
  }

  override async readEntity(...args: Parameters<Tables['readEntity']>) {
    this.reads += 1;
    return super.readEntity(...args);
  }
}

function countedServices(): { services: Services; tables: CountingTables } {
  const settings = testSettings({
    ...sim.env,
    ASSIGNED_GROUPS_CACHE_SECONDS: '0',
    TABLE_PREFIX: uniqueTablePrefix('SgReads'),
  });
  const tables = new CountingTables(tableClientFactory(settings.tables), settings.tables.prefix);
  const services = createServices(settings, {
    repository: createRepository(tables),
    createDirectory: (options) => createDirectoryReader(settings, { sleep: fast, ...options }),
  });
  return { services, tables };
}

describe('the table reads of one sign-in', () => {
  it('are the user partition, the hold, and a team row and member row per team in view', async () => {
    const { services, tables } = countedServices();
    await run(services);
    // Ava is in one assigned group (evals, directly) and has its team.
    tables.reads = 0;
    const ava = await signIn(services, S.ava);
    expect(ava.teams.map((team) => team.teamId)).toEqual([S.evals]);
    expect(tables.reads).toBe(1 + 1 + 2 * ava.teams.length);

    // On empty tables too: nothing but what the plan needs (the answer comes from the writes).
    const cold = countedServices();
    const first = await signIn(cold.services, S.ava);
    expect(first.user.created).toBe(true);
    expect(cold.tables.reads).toBe(1 + 1 + 2);
  });
});
