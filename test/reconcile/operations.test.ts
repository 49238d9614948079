/**
 * What operators see: run records and audit entries through GET /api/sync/status, the timer
 * function, and the lease that keeps two reconciliations apart.
 */
import { InvocationContext, type Timer } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileOnSchedule } from '../../functions/reconcile-timer.js';
import { syncStatus } from '../../functions/sync-status.js';
import { isServiceError } from '../../shared/errors.js';
import { useServices, type Services } from '../../shared/services.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import type { RunRecord } from '../../shared/sync/run-records.js';
import { invoke } from '../support/invoke.js';
import { allTeams } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, run, servicesFor } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);

beforeEach(() => {
  sim.admin.reset();
});
afterEach(() => {
  useServices(undefined);
});

function services(environment: Record<string, string> = {}): Services {
  return servicesFor(sim, 'RcOps', environment);
}

function timer(isPastDue: boolean): Timer {
  const now = new Date().toISOString();
  return {
    isPastDue,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: now, next: now, lastUpdated: now },
  };
}

function context(logs: string[]): InvocationContext {
  return new InvocationContext({
    invocationId: 'timer-test',
    functionName: 'reconcile',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
}

describe('GET /api/sync/status', () => {
  it('lists the last runs, newest first, with their summaries, and one run with its audit', async () => {
    const target = services({ MAX_MEMBERSHIP_REMOVALS_PER_RUN: '0' });
    useServices(target);
    const first = await run(target);
    sim.admin.removeMember(S.evals, S.ben);
    const held = await run(target);
    sim.admin.unassignGroup(S.evals);
    await expect(reconcile(target, { trigger: 'cli' })).rejects.toThrow(/no group assigned/);

    const response = await invoke(syncStatus, { path: 'sync/status' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { runs } = response.json as { runs: RunRecord[] };
    expect(runs.map((r) => r.outcome)).toEqual(['failed', 'held', 'succeeded']);
    expect(runs[2]).toMatchObject({
      runId: first.runId,
      trigger: 'cli',
      startedAt: first.startedAt,
      endedAt: expect.any(String) as string,
      // 13 for the team and its members, 1 for Gus (assigned directly, no team)
      summary: { groups: 1, teamsCreated: 1, membershipsAdded: 4, tableWrites: 14 },
      held: [],
      incompleteGroups: [],
    });
    expect(runs[1]).toMatchObject({
      runId: held.runId,
      holdReason: expect.stringContaining('MAX_MEMBERSHIP_REMOVALS_PER_RUN (0)') as string,
      held: [
        {
          kind: 'membership-removed',
          teamId: S.evals,
          userId: S.ben,
          reason: expect.any(String) as string,
        },
      ],
      summary: { membershipsHeld: 1 },
    });
    expect(runs[0]).toMatchObject({ error: { code: 'sync_refused' } });

    const limited = await invoke(syncStatus, { path: 'sync/status', query: { limit: '1' } });
    expect((limited.json as { runs: RunRecord[] }).runs).toHaveLength(1);
    const invalid = await invoke(syncStatus, { path: 'sync/status', query: { limit: '0' } });
    expect(invalid.status).toBe(400);

    const one = await invoke(syncStatus, { path: 'sync/status', query: { runId: first.runId } });
    expect(one.status).toBe(200);
    const body = one.json as { run: RunRecord; audit: Record<string, unknown>[] };
    expect(body.run.runId).toBe(first.runId);
    // 9 for the team and its members, 1 for Gus (assigned directly)
    expect(body.audit).toHaveLength(10);
    expect(body.audit[0]).toEqual({
      rowKey: '0000000',
      kind: 'team-created',
      teamId: S.evals,
      reason: 'group "Production LLM Evals Group" is assigned to the app',
      outcome: 'applied',
    });
    const heldAudit = await invoke(syncStatus, {
      path: 'sync/status',
      query: { runId: held.runId },
    });
    expect((heldAudit.json as { audit: unknown[] }).audit).toEqual([
      expect.objectContaining({ kind: 'membership-removed', userId: S.ben, outcome: 'held' }),
    ]);
    const missing = await invoke(syncStatus, { path: 'sync/status', query: { runId: 'nope' } });
    expect(missing.status).toBe(404);
  });
});

describe('the timer function', () => {
  it('reconciles, logs the run line, and warns when the run is past due', async () => {
    const target = services();
    useServices(target);
    const logs: string[] = [];
    await reconcileOnSchedule(timer(false), context(logs));
    expect(logs.some((line) => line.includes('past due'))).toBe(false);
    expect(logs).toEqual([
      expect.stringMatching(/^information: run .* \(timer\) succeeded \| groups 1/),
    ]);

    const late: string[] = [];
    await reconcileOnSchedule(timer(true), context(late));
    expect(late[0]).toMatch(/^warning: .*past due/);
    const runs = await target.repository.recentRuns(5);
    expect(runs.map((r) => r.trigger)).toEqual(['timer', 'timer']);
    expect(runs[0]?.summary?.tableWrites).toBe(0);
  });

  it('warns with the run line when a run is held', async () => {
    const target = services({ MAX_MEMBERSHIP_REMOVALS_PER_RUN: '0' });
    useServices(target);
    await run(target);
    sim.admin.removeMember(S.evals, S.ava);
    const logs: string[] = [];
    await reconcileOnSchedule(timer(false), context(logs));
    expect(logs).toEqual([expect.stringMatching(/^warning: run .* held .*HELD: 1 membership/)]);
  });
});

describe('the lease', () => {
  it('lets one of two concurrent reconciliations run and refuses the other', async () => {
    const target = services();
    const results = await Promise.allSettled([
      reconcile(target, { trigger: 'cli' }),
      reconcile(target, { trigger: 'timer' }),
    ]);
    const refused = results.filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(isServiceError(refused[0]?.reason, 'sync_refused')).toBe(true);
    // Released at the end: the next run goes ahead.
    expect((await run(target)).outcome).toBe('succeeded');
  });

  it('refuses while another holder has it, and a dead holder lease expires', async () => {
    const target = services();
    const now = new Date();
    await target.repository.acquireLease('someone-else', now, 60_000);
    const error: unknown = await run(target).catch((caught: unknown) => caught);
    expect(isServiceError(error, 'sync_refused')).toBe(true);
    expect((error as Error).message).toContain('someone-else');
    // A dry run takes no lease.
    expect((await run(target, { dryRun: true })).outcome).toBe('succeeded');

    const expired = services();
    await expired.repository.acquireLease('crashed-run', new Date(Date.now() - 3_600_000), 60_000);
    expect((await run(expired)).outcome).toBe('succeeded');
  });

  it('stops before writing when it outlived its lease and another run took it over', async () => {
    const base = services();
    // While this run reads Graph, its 30-minute lease runs out and another run takes it.
    const target: Services = {
      ...base,
      createDirectory: (options) => {
        const reader = base.createDirectory(options);
        return {
          ...reader,
          servicePrincipalId: () => reader.servicePrincipalId(),
          userWithGroups: (...args) => reader.userWithGroups(...args),
          groupMembers: (...args) => reader.groupMembers(...args),
          users: (...args) => reader.users(...args),
          get requestCount() {
            return reader.requestCount;
          },
          assignedGroups: (...args) => reader.assignedGroups(...args),
          appRoles: (...args) => reader.appRoles(...args),
          appAssignments: async (...args) => {
            const later = new Date(Date.now() + 31 * 60_000);
            await base.repository.acquireLease('the-next-run', later, 30 * 60_000);
            return reader.appAssignments(...args);
          },
        };
      },
    };
    const error: unknown = await run(target).catch((caught: unknown) => caught);
    expect(isServiceError(error, 'sync_refused')).toBe(true);
    expect((error as Error).message).toContain('outlived its lease');
    expect(await allTeams(base)).toEqual(new Map());
    const [record] = await base.repository.recentRuns(1);
    expect(record?.outcome).toBe('failed');
  });
});
