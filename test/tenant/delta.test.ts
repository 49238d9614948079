import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, appToken, graphFetch, type GraphErrorBody } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
let token = '';
const DAY = 24 * 60 * 60 * 1000;

interface DeltaPage {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

async function page(url: string): Promise<DeltaPage> {
  const res = await graphFetch(sim, token, url);
  expect(res.status).toBe(200);
  return (await res.json()) as DeltaPage;
}

/** A whole round: every page until the deltaLink (at most 50 pages). */
async function round(
  url: string,
): Promise<{ items: Record<string, unknown>[]; deltaLink: string; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let next = url;
  for (let pages = 1; pages <= 50; pages += 1) {
    const p = await page(next);
    items.push(...p.value);
    if (p['@odata.deltaLink'] !== undefined)
      return { items, deltaLink: p['@odata.deltaLink'], pages };
    next = p['@odata.nextLink'] ?? '';
    expect(next).toContain('$skiptoken=');
  }
  throw new Error('no deltaLink after 50 pages');
}

const byId = (items: Record<string, unknown>[]): Map<unknown, Record<string, unknown>> =>
  new Map(items.map((i) => [i.id, i]));

const INITIAL = '/groups/delta?$select=displayName,members';

beforeAll(async () => {
  token = await appToken(sim);
});
beforeEach(() => {
  sim.admin.reset();
  sim.admin.clearFeedFaults();
  sim.admin.configureFeeds({
    deltaTokenExpiredAs: 'syncStateNotFound',
    deltaTokenMaxAgeMs: 7 * DAY,
  });
  sim.configure({ pageSize: 100 });
  sim.resetCounters();
});

describe('groups/delta rounds', () => {
  it('starts with every group and its direct members, typed, and ends with a deltaLink', async () => {
    const first = await round(INITIAL);
    expect(first.items).toHaveLength(5);
    expect(first.deltaLink).toMatch(/\/v1\.0\/groups\/delta\?\$deltatoken=/);
    const evals = byId(first.items).get(S.evals);
    expect(evals).toMatchObject({ id: S.evals, displayName: 'Production LLM Evals Group' });
    expect(evals?.['members@delta']).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.user', id: S.ava },
        { '@odata.type': '#microsoft.graph.group', id: S.contractors },
      ]),
    );
    // Direct members only: the contractors' members are not the evals group's.
    expect(JSON.stringify(evals)).not.toContain(S.chen);
  });

  it('returns nothing but a new deltaLink when nothing changed', async () => {
    const first = await round(INITIAL);
    const second = await round(first.deltaLink);
    expect(second.items).toEqual([]);
    expect(second.deltaLink).not.toBe(first.deltaLink);
  });

  it('reports a member added and a member removed as members@delta of that group only', async () => {
    const first = await round(INITIAL);
    sim.admin.addMember(S.prodTeam, S.ben);
    sim.admin.removeMember(S.prodTeam, S.elif);
    const second = await round(first.deltaLink);
    expect(second.items).toHaveLength(1);
    expect(second.items[0]).toMatchObject({
      id: S.prodTeam,
      displayName: 'Default MishikaLLM Prod Team',
    });
    expect(second.items[0]?.['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: S.ben },
      { '@odata.type': '#microsoft.graph.user', id: S.elif, '@removed': { reason: 'deleted' } },
    ]);
  });

  it('reports a nested group membership change as a change of the nested group, not its parents', async () => {
    const first = await round(INITIAL);
    sim.admin.addMember(S.contractors, S.elif);
    const second = await round(first.deltaLink);
    expect(second.items.map((i) => i.id)).toEqual([S.contractors]);
    expect(second.items[0]?.['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: S.elif },
    ]);
  });

  it('reports a rename without members@delta, and a new group with its members', async () => {
    const first = await round(INITIAL);
    sim.admin.renameGroup(S.evals, 'LLM Evals');
    const created = '11111111-2222-4333-8444-555555555555';
    sim.admin.addGroup({ id: created, displayName: 'New Team', members: [S.ava] });
    const second = byId((await round(first.deltaLink)).items);
    expect(second.get(S.evals)).toEqual({ id: S.evals, displayName: 'LLM Evals' });
    expect(second.get(created)).toEqual({
      id: created,
      displayName: 'New Team',
      'members@delta': [{ '@odata.type': '#microsoft.graph.user', id: S.ava }],
    });
  });

  it('reports deleted groups with @removed: changed when soft-deleted, deleted when gone for good', async () => {
    const first = await round(INITIAL);
    sim.admin.deleteGroup(S.contractors);
    sim.admin.deleteGroup(S.marketing, { permanent: true });
    const second = byId((await round(first.deltaLink)).items);
    expect(second.get(S.contractors)).toEqual({
      id: S.contractors,
      '@removed': { reason: 'changed' },
    });
    expect(second.get(S.marketing)).toEqual({ id: S.marketing, '@removed': { reason: 'deleted' } });
    // The soft-deleted group also left its parent, which reports it as a removed (restorable) member.
    expect(second.get(S.evals)?.['members@delta']).toEqual([
      {
        '@odata.type': '#microsoft.graph.group',
        id: S.contractors,
        '@removed': { reason: 'changed' },
      },
    ]);
  });

  it('reports a deleted user as removed (changed) from each group it was in', async () => {
    const first = await round(INITIAL);
    sim.admin.deleteUser(S.ava);
    const second = byId((await round(first.deltaLink)).items);
    for (const g of [S.evals, S.prodTeam]) {
      expect(second.get(g)?.['members@delta']).toEqual([
        { '@odata.type': '#microsoft.graph.user', id: S.ava, '@removed': { reason: 'changed' } },
      ]);
    }
  });

  it('keeps $select in its tokens: later rounds need only the links', async () => {
    const first = await round('/groups/delta?$select=displayName');
    expect(first.items[0]).not.toHaveProperty('members@delta');
    expect(Object.keys(first.items[0] ?? {}).sort()).toEqual(['displayName', 'id']);
    sim.admin.addMember(S.prodTeam, S.ben);
    const second = await round(first.deltaLink);
    expect(second.items).toEqual([{ id: S.prodTeam, displayName: 'Default MishikaLLM Prod Team' }]);
  });
});

describe('groups/delta filtered by id', () => {
  const filterOf = (ids: string[]): string =>
    encodeURIComponent(ids.map((id) => `id eq '${id}'`).join(' or '));

  it('follows only the groups named, in the first round and after', async () => {
    const first = await round(`${INITIAL}&$filter=${filterOf([S.evals, S.contractors])}`);
    expect(first.items.map((i) => i.id).sort()).toEqual([S.evals, S.contractors].sort());
    sim.admin.addMember(S.prodTeam, S.ben);
    sim.admin.addMember(S.contractors, S.ben);
    const second = await round(first.deltaLink);
    expect(second.items.map((i) => i.id)).toEqual([S.contractors]);
  });

  it('takes 50 ids and refuses 51 with 400, as Graph does', async () => {
    const ids = Array.from(
      { length: 51 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const fifty = await graphFetch(sim, token, `${INITIAL}&$filter=${filterOf(ids.slice(0, 50))}`);
    expect(fifty.status).toBe(200);
    const res = await graphFetch(sim, token, `${INITIAL}&$filter=${filterOf(ids)}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as GraphErrorBody;
    expect(body.error.code).toBe('Request_UnsupportedQuery');
    expect(body.error.message).toContain('50');
  });

  it('refuses any other filter', async () => {
    const res = await graphFetch(
      sim,
      token,
      `${INITIAL}&$filter=${encodeURIComponent("displayName eq 'x'")}`,
    );
    expect(res.status).toBe(400);
  });
});

describe('groups/delta paging', () => {
  it('pages a round with $skiptoken links and ends it with the deltaLink, each group once', async () => {
    sim.configure({ pageSize: 2 });
    const first = await round(INITIAL);
    expect(first.pages).toBe(3);
    expect(new Set(first.items.map((i) => i.id)).size).toBe(5);
    for (let i = 0; i < 3; i += 1) {
      sim.admin.addGroup({
        id: `22222222-0000-4000-8000-00000000000${i}`,
        displayName: `Paged ${i}`,
      });
    }
    sim.admin.renameGroup(S.allStaff, 'Everyone');
    const second = await round(first.deltaLink);
    expect(second.pages).toBe(2);
    expect(second.items.map((i) => i.id).sort()).toEqual(
      [S.allStaff, ...[0, 1, 2].map((i) => `22222222-0000-4000-8000-00000000000${i}`)].sort(),
    );
  });

  it('refuses a forged skiptoken as an expired page token', async () => {
    const res = await graphFetch(sim, token, '/groups/delta?$skiptoken=garbage');
    expect(res.status).toBe(400);
    expect(((await res.json()) as GraphErrorBody).error.code).toBe('Directory_ExpiredPageToken');
  });
});

describe('groups/delta replays and expiry', () => {
  it('replays the previous round when a replay fault is set (the same change comes again)', async () => {
    const first = await round(INITIAL);
    sim.admin.addMember(S.prodTeam, S.ben);
    const second = await round(first.deltaLink);
    sim.admin.renameGroup(S.marketing, 'Marketing EU');
    sim.admin.injectFeedFault({ kind: 'replay' });
    const third = byId((await round(second.deltaLink)).items);
    expect([...third.keys()].sort()).toEqual([S.prodTeam, S.marketing].sort());
    expect(third.get(S.prodTeam)?.['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: S.ben },
    ]);
    expect(sim.counters().delta.replays).toBe(1);
  });

  it('replays the whole first round when the round after it is replayed', async () => {
    const first = await round(INITIAL);
    sim.admin.injectFeedFault({ kind: 'replay' });
    const second = await round(first.deltaLink);
    expect(second.items).toHaveLength(5);
  });

  it('accepts a 6-day-old token and refuses one older than 7 days: 400 syncStateNotFound', async () => {
    const first = await round(INITIAL);
    sim.admin.advanceTime(6 * DAY);
    const second = await round(first.deltaLink);
    sim.admin.advanceTime(7 * DAY + 1000);
    const res = await graphFetch(sim, token, second.deltaLink);
    expect(res.status).toBe(400);
    const body = (await res.json()) as GraphErrorBody;
    expect(body.error.code).toBe('syncStateNotFound');
    expect(body.error.message).toContain('The delta token is expired');
  });

  it('refuses every earlier token after expireDeltaTokens(), over HTTP too', async () => {
    const first = await round(INITIAL);
    const admin = await fetch(`${sim.baseUrl}/_admin/delta/expire-tokens`, { method: 'POST' });
    expect(admin.status).toBe(200);
    expect((await graphFetch(sim, token, first.deltaLink)).status).toBe(400);
    const fresh = await round(INITIAL);
    expect((await graphFetch(sim, token, fresh.deltaLink)).status).toBe(200);
  });

  it('answers 410 Gone with Location and resyncRequired when set to, and Location starts over', async () => {
    const filter = encodeURIComponent(`id eq '${S.evals}'`);
    const first = await round(`${INITIAL}&$filter=${filter}`);
    sim.admin.configureFeeds({ deltaTokenExpiredAs: 'resyncRequired' });
    sim.admin.expireDeltaTokens();
    const res = await graphFetch(sim, token, first.deltaLink);
    expect(res.status).toBe(410);
    expect(((await res.json()) as GraphErrorBody).error.code).toBe('resyncRequired');
    const location = res.headers.get('location') ?? '';
    expect(location).toContain('/v1.0/groups/delta?$select=displayName,members');
    const again = await round(location);
    expect(again.items.map((i) => i.id)).toEqual([S.evals]);
  });

  it('counts requests, rounds, expired tokens; advances time over the admin API', async () => {
    const first = await round(INITIAL);
    await round(first.deltaLink);
    const adv = await fetch(`${sim.baseUrl}/_admin/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 8 * DAY }),
    });
    expect(adv.status).toBe(200);
    await graphFetch(sim, token, first.deltaLink);
    const c = sim.counters();
    expect(c.delta).toMatchObject({
      requests: 2,
      initialRounds: 1,
      incrementalRounds: 1,
      expiredTokens: 1,
    });
    expect(c.requestsByRoute['GET /v1.0/groups/delta']).toBe(3);
  });
});
