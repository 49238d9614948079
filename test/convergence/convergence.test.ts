/**
 * Convergence, property-based (issue 14, suite 6): random small tenants and random interleavings
 * of Entra changes, sign-ins, change notifications, delta rounds, full passes, operator edits and
 * injected faults, against the simulated tenant and Azurite. After every command the rules that
 * must always hold are checked; after a final fault-free full pass the tables equal what the
 * model says (an oracle of its own, not the planner), and one more full pass writes nothing.
 *
 * Fixed seed and bounded runs in CI. By hand, longer:
 *   CONVERGENCE_RUNS=400 CONVERGENCE_COMMANDS=40 CONVERGENCE_SEED=7 npx vitest run test/convergence
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantData } from '../../dev/tenant/model.js';
import { useServices } from '../../shared/services.js';
import {
  startNotificationReceiver,
  type NotificationReceiver,
} from '../support/notification-receiver.js';
import { CLIENT_STATE, useQueueService } from '../support/notifications.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { appToken } from '../tenant/helpers.js';
import { subscribed } from '../tenant/subscription-helpers.js';
import { commands, tenantSpec } from './commands.js';
import { tally, World } from './world.js';

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const RUNS = number('CONVERGENCE_RUNS', 20);
const COMMANDS = number('CONVERGENCE_COMMANDS', 24);
const SEED = number('CONVERGENCE_SEED', 20261202);
/** A run longer by hand may take as long as it needs. */
const TIMEOUT_MS = Math.max(240_000, RUNS * COMMANDS * 2_000);

/** An app with two app roles that map to MishikaLLM roles, and an empty directory. */
const EMPTY_TENANT: TenantData = {
  tenantId: 'c0c0c0c0-570a-4bd3-8e62-38ce0164e9a8',
  displayName: 'Convergence',
  app: {
    clientId: 'c0c0c0c0-a2ca-4779-8c04-fc40e7955108',
    clientSecret: 'sim~convergence-client-secret-not-a-real-one',
    servicePrincipalId: 'c0c0c0c0-901f-4aeb-9a95-69210a3317cb',
    appRoles: [
      { id: 'c0c0c0c0-4233-474c-bdc7-2e8757d9d3a3', value: 'proxy_admin', displayName: 'Admin' },
      { id: 'c0c0c0c0-8a42-4d0f-9b6e-2c1d4e7a9f30', value: 'internal_user', displayName: 'User' },
    ],
  },
  users: [],
  groups: [],
  assignments: [],
};

const sim = useSimulatedTenant(EMPTY_TENANT);
const queues = useQueueService();
let receiver: NotificationReceiver;

beforeAll(async () => {
  receiver = await startNotificationReceiver();
  // One subscription for the whole file: the tenant's directory is reset per run, not its feeds.
  await subscribed(sim, await appToken(sim), receiver, { clientState: CLIENT_STATE });
});
afterAll(async () => {
  useServices(undefined);
  await receiver.close();
});

describe('convergence', () => {
  it(
    `${RUNS} random tenants and histories of up to ${COMMANDS} commands converge, losing nothing`,
    async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(tenantSpec, commands(COMMANDS), async (spec, history) => {
          const world = new World(
            { sim, queueConnectionString: queues.connectionString, receiver },
            run++,
          );
          await world.setUp(spec);
          for (const command of history) await world.execute(command);
          await world.converge();
          tally.runs += 1;
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: process.env.CONVERGENCE_SHRINK !== '1' },
      );
      console.info(`convergence: ${JSON.stringify(tally)}`);
      expect(tally.runs).toBe(RUNS);
    },
    TIMEOUT_MS,
  );
});
