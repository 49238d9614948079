/**
 * The big cases, once each: 1,200 assigned groups (two pages of assignments, 60 `$batch`
 * requests) and a 5,000-member group (six pages of 999), each in a generated tenant of its own.
 * Azurite slows down as a partition grows (the big group's team partition holds 5,000 members),
 * so these tests get more than the default timeout.
 */
import { describe, expect, it } from 'vitest';
import { generateTenant, type GenerateTenantOptions } from '../../dev/tenant/generate.js';
import {
  assignedGroupIds,
  expectTablesMatchEntra,
  membersOf,
  run,
  servicesFor,
  snapshot,
} from './helpers.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';

const ASSIGNED = 'GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo';
const TRANSITIVE = 'GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user';
const TIMEOUT = 180_000;

function scaleCase(
  title: string,
  options: GenerateTenantOptions,
  expectations: { groups: number; transitiveRequests: number; assignmentPages: number },
) {
  describe(title, () => {
    const sim = useSimulatedTenant(generateTenant(options));

    it(
      'reconciles every page, then writes nothing on the next run',
      { timeout: TIMEOUT },
      async () => {
        const state = sim.admin.getState();
        const assigned = assignedGroupIds(state);
        expect(assigned).toHaveLength(expectations.groups);
        const memberships = assigned.reduce((sum, id) => sum + membersOf(state, id).size, 0);
        const users = new Set(assigned.flatMap((id) => [...membersOf(state, id)])).size;

        const target = servicesFor(sim, 'RcScale');
        const progress: number[] = [];
        sim.resetCounters();
        const first = await run(target, {
          onProgress: (done) => {
            progress.push(done);
          },
        });
        expect(first.outcome).toBe('succeeded');
        expect(first.summary).toMatchObject({
          groups: expectations.groups,
          teamsCreated: expectations.groups,
          usersCreated: users,
          membershipsAdded: memberships,
          incompleteGroups: 0,
          failedWrites: 0,
          tableWrites: expectations.groups + users + 2 * memberships,
        });
        expect(progress).toEqual(Array.from({ length: expectations.groups }, (_, i) => i + 1));
        const counters = sim.counters();
        expect(counters.requestsByRoute[ASSIGNED]).toBe(expectations.assignmentPages);
        expect(counters.requestsByRoute[TRANSITIVE]).toBe(expectations.transitiveRequests);
        await expectTablesMatchEntra(target, state);

        const before = await snapshot(target);
        const second = await run(target);
        expect(second.outcome).toBe('succeeded');
        expect(second.summary?.tableWrites).toBe(0);
        expect(await snapshot(target)).toEqual(before);
      },
    );
  });
}

// 1,200 assignments at 999 a page; one member page per group.
scaleCase(
  '1,200 assigned groups',
  { seed: 'reconcile-1200', users: 600, groups: 1200, membershipsPerGroup: 2, nestingDepth: 0 },
  { groups: 1200, assignmentPages: 2, transitiveRequests: 1200 },
);

// 5,000 members at 999 a page: six pages, each link followed from the one before.
scaleCase(
  'a 5,000-member group',
  {
    seed: 'reconcile-5000',
    users: 5000,
    groups: 3,
    membershipsPerGroup: 2,
    largestGroupMembers: 5000,
    nestingDepth: 0,
  },
  { groups: 3, assignmentPages: 1, transitiveRequests: 3 + 5 },
);
