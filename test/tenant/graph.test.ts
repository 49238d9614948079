import type { Client, PageCollection } from '@microsoft/microsoft-graph-client';
import { PageIterator } from '@microsoft/microsoft-graph-client';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { startSimulatedTenant } from '../../dev/tenant/server.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, appToken, graphClientFor, graphFetch, type GraphErrorBody } from './helpers.js';

interface DirObject {
  '@odata.type'?: string;
  id: string;
  displayName?: string;
}

const sim = useSimulatedTenant(SAMPLE);
let client: Client;
let token: string;

beforeAll(async () => {
  client = graphClientFor(sim);
  token = await appToken(sim);
});
beforeEach(() => {
  sim.admin.reset();
  sim.faults.clear();
  sim.resetCounters();
});

describe('Graph through the real Graph client and @azure/identity', () => {
  it('finds the service principal by appId, both ways', async () => {
    const sp = (await client
      .api(`/servicePrincipals(appId='${sim.clientId}')`)
      .select('id,appId,displayName')
      .get()) as Record<string, unknown>;
    expect(sp).toMatchObject({
      id: sim.servicePrincipalId,
      appId: sim.clientId,
      displayName: 'MishikaLLM',
    });
    const list = (await client
      .api('/servicePrincipals')
      .filter(`appId eq '${sim.clientId}'`)
      .get()) as { value: { id: string }[] };
    expect(list.value.map((v) => v.id)).toEqual([sim.servicePrincipalId]);
    const none = (await client
      .api('/servicePrincipals')
      .filter(`appId eq '00000000-0000-0000-0000-000000000001'`)
      .get()) as { value: unknown[] };
    expect(none.value).toEqual([]);
  });

  it('lists app role assignments (groups and users) with principal display names', async () => {
    const res = (await client
      .api(`/servicePrincipals/${sim.servicePrincipalId}/appRoleAssignedTo`)
      .get()) as { value: Record<string, unknown>[] };
    expect(res.value).toHaveLength(3);
    expect(res.value).toContainEqual(
      expect.objectContaining({
        principalId: S.evals,
        principalType: 'Group',
        principalDisplayName: 'Production LLM Evals Group',
        resourceId: sim.servicePrincipalId,
        appRoleId: S.roles.internalUser,
      }),
    );
    expect(res.value).toContainEqual(
      expect.objectContaining({ principalId: S.gus, principalType: 'User' }),
    );
    expect(res.value).toContainEqual(
      expect.objectContaining({ principalId: S.ava, principalType: 'User' }),
    );
    for (const a of res.value) expect(typeof a.id).toBe('string');

    sim.admin.assignGroup(S.prodTeam);
    const after = (await client
      .api(`/servicePrincipals/${sim.servicePrincipalId}/appRoleAssignedTo`)
      .get()) as { value: { principalId: string }[] };
    expect(after.value.map((a) => a.principalId)).toContain(S.prodTeam);
    sim.admin.unassignGroup(S.evals);
    const later = (await client
      .api(`/servicePrincipals/${sim.servicePrincipalId}/appRoleAssignedTo`)
      .get()) as { value: { principalId: string }[] };
    expect(later.value.map((a) => a.principalId)).not.toContain(S.evals);
  });

  it('gets users and groups with $select, and accountEnabled only when selected (like Graph)', async () => {
    const full = (await client.api(`/users/${S.farah}`).get()) as Record<string, unknown>;
    expect(full).toMatchObject({
      id: S.farah,
      displayName: 'Farah Haddad',
      userPrincipalName: 'farah.haddad@mishikallm.onmicrosoft.com',
    });
    expect(full).not.toHaveProperty('accountEnabled');
    const sel = (await client
      .api(`/users/${S.farah}`)
      .select(['id', 'accountEnabled', 'mail'])
      .get()) as Record<string, unknown>;
    expect(sel).toMatchObject({
      id: S.farah,
      accountEnabled: false,
      mail: 'farah.haddad@mishikallm.onmicrosoft.com',
    });
    expect(sel).not.toHaveProperty('displayName');
    const byUpn = (await client
      .api('/users/ava.patel@mishikallm.onmicrosoft.com')
      .select('id')
      .get()) as { id: string };
    expect(byUpn.id).toBe(S.ava);
    const m365 = (await client.api(`/groups/${S.marketing}`).get()) as Record<string, unknown>;
    expect(m365).toMatchObject({
      displayName: 'Marketing',
      groupTypes: ['Unified'],
      mailEnabled: true,
      securityEnabled: false,
    });
  });

  it('serves members (direct), transitiveMembers (nested) and the user cast', async () => {
    const direct = (await client.api(`/groups/${S.evals}/members`).get()) as { value: DirObject[] };
    expect(direct.value.map((o) => o.id).sort()).toEqual([S.ava, S.ben, S.contractors].sort());
    expect(direct.value.find((o) => o.id === S.contractors)?.['@odata.type']).toBe(
      '#microsoft.graph.group',
    );
    expect(direct.value.find((o) => o.id === S.ava)?.['@odata.type']).toBe('#microsoft.graph.user');

    const transitive = (await client.api(`/groups/${S.evals}/transitiveMembers`).get()) as {
      value: DirObject[];
    };
    expect(transitive.value.map((o) => o.id).sort()).toEqual(
      [S.ava, S.ben, S.contractors, S.chen, S.dana].sort(),
    );
    const users = (await client
      .api(`/groups/${S.evals}/transitiveMembers/microsoft.graph.user`)
      .select('id,displayName')
      .get()) as { value: DirObject[] };
    expect(users.value.map((o) => o.id).sort()).toEqual([S.ava, S.ben, S.chen, S.dana].sort());
    const groups = (await client.api(`/groups/${S.evals}/members/microsoft.graph.group`).get()) as {
      value: DirObject[];
    };
    expect(groups.value.map((o) => o.id)).toEqual([S.contractors]);
  });

  it('serves memberOf, transitiveMemberOf, getMemberGroups and checkMemberGroups', async () => {
    const memberOf = (await client.api(`/users/${S.chen}/memberOf`).get()) as {
      value: DirObject[];
    };
    expect(memberOf.value.map((g) => g.id).sort()).toEqual([S.contractors, S.allStaff].sort());
    const transitive = (await client
      .api(`/users/${S.chen}/transitiveMemberOf/microsoft.graph.group`)
      .select('id')
      .get()) as { value: DirObject[] };
    expect(transitive.value.map((g) => g.id).sort()).toEqual(
      [S.contractors, S.allStaff, S.evals].sort(),
    );

    const all = (await client
      .api(`/users/${S.dana}/getMemberGroups`)
      .post({ securityEnabledOnly: false })) as { value: string[] };
    expect(all.value.sort()).toEqual([S.contractors, S.marketing, S.allStaff, S.evals].sort());
    const sec = (await client
      .api(`/users/${S.dana}/getMemberGroups`)
      .post({ securityEnabledOnly: true })) as { value: string[] };
    expect(sec.value).not.toContain(S.marketing);
    const check = (await client
      .api(`/users/${S.dana}/checkMemberGroups`)
      .post({ groupIds: [S.evals, S.prodTeam] })) as { value: string[] };
    expect(check.value).toEqual([S.evals]);
  });

  it('follows absolute @odata.nextLink paging over 250+ members with the PageIterator', async () => {
    const big = generateTenant({
      seed: 'paging',
      users: 300,
      groups: 3,
      assignedGroups: 2,
      largestGroupMembers: 260,
      membershipsPerGroup: 5,
    });
    const bigSim = await startSimulatedTenant({ tenant: big, pageSize: 100 });
    try {
      const c = graphClientFor(bigSim);
      const groupId = big.groups[0]?.id ?? '';
      const first = (await c
        .api(`/groups/${groupId}/transitiveMembers/microsoft.graph.user`)
        .select('id')
        .get()) as PageCollection;
      expect(first.value).toHaveLength(100);
      const next = first['@odata.nextLink'] ?? '';
      expect(
        next.startsWith(
          `${bigSim.graphEndpoint}/v1.0/groups/${groupId}/transitiveMembers/microsoft.graph.user?`,
        ),
      ).toBe(true);
      expect(next).toContain('$skiptoken=');
      expect(next).toContain('$select=id');
      const ids: string[] = [];
      const it = new PageIterator(c, first, (item: { id: string }) => {
        ids.push(item.id);
        return true;
      });
      await it.iterate();
      expect(ids).toHaveLength(260);
      expect(new Set(ids).size).toBe(260);
      expect(ids.sort()).toEqual([...(big.groups[0]?.members ?? [])].sort());
      const counters = bigSim.counters();
      expect(
        counters.requestsByRoute['GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user'],
      ).toBe(3);
      // $top is honoured (up to 999) and sets the page size.
      const top = (await c.api(`/groups/${groupId}/members`).top(999).get()) as PageCollection;
      expect(top.value).toHaveLength(260);
      expect(top['@odata.nextLink']).toBeUndefined();
    } finally {
      await bigSim.stop();
    }
  });

  it('answers unknown routes and ids in Graph error shape, and bad queries with 400', async () => {
    const unknownRoute = await graphFetch(sim, token, '/nothingHere/at/all');
    expect(unknownRoute.status).toBe(404);
    const body = (await unknownRoute.json()) as GraphErrorBody;
    expect(body.error.code).toBe('Request_ResourceNotFound');
    expect(typeof body.error.message).toBe('string');
    expect(body.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof body.error.innerError.date).toBe('string');

    const unknownGroup = await graphFetch(
      sim,
      token,
      '/groups/00000000-0000-0000-0000-00000000dead/members',
      { headers: { 'client-request-id': 'abc-123' } },
    );
    expect(unknownGroup.status).toBe(404);
    const ug = (await unknownGroup.json()) as GraphErrorBody;
    expect(ug.error.code).toBe('Request_ResourceNotFound');
    expect(ug.error.innerError['client-request-id']).toBe('abc-123');

    const tooBig = await graphFetch(sim, token, `/groups/${S.evals}/members?$top=1000`);
    expect(tooBig.status).toBe(400);
    const badSelect = await graphFetch(sim, token, `/users/${S.ava}?$select=id,notAProperty`);
    expect(badSelect.status).toBe(400);
    expect(((await badSelect.json()) as GraphErrorBody).error.code).toBe('BadRequest');
    const badSkip = await graphFetch(sim, token, `/groups/${S.evals}/members?$skiptoken=garbage`);
    expect(badSkip.status).toBe(400);

    await expect(
      client.api('/groups/00000000-0000-0000-0000-00000000dead').get(),
    ).rejects.toMatchObject({ statusCode: 404, code: 'Request_ResourceNotFound' });
  });

  it('refuses Graph requests without a valid bearer token (401, Graph error shape)', async () => {
    const none = await fetch(`${sim.graphEndpoint}/v1.0/groups/${S.evals}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as GraphErrorBody).error.code).toBe('InvalidAuthenticationToken');
    const idToken = await sim.issueToken({ userId: S.ava });
    const wrongAud = await graphFetch(sim, idToken, `/groups/${S.evals}`);
    expect(wrongAud.status).toBe(401);
    const forged = await graphFetch(sim, `${token.slice(0, -4)}AAAA`, `/groups/${S.evals}`);
    expect(forged.status).toBe(401);
  });

  it('reflects admin changes: rename, add/remove member, delete, disable', async () => {
    sim.admin.renameGroup(S.prodTeam, 'Prod Team (renamed)');
    sim.admin.addMember(S.prodTeam, S.contractors);
    sim.admin.removeMember(S.prodTeam, S.elif);
    sim.admin.disableUser(S.ava);
    const g = (await client.api(`/groups/${S.prodTeam}`).select('displayName').get()) as {
      displayName: string;
    };
    expect(g.displayName).toBe('Prod Team (renamed)');
    const t = (await client
      .api(`/groups/${S.prodTeam}/transitiveMembers/microsoft.graph.user`)
      .select('id,accountEnabled')
      .get()) as { value: { id: string; accountEnabled: boolean }[] };
    expect(t.value.map((u) => u.id).sort()).toEqual([S.ava, S.farah, S.chen, S.dana].sort());
    expect(t.value.find((u) => u.id === S.ava)?.accountEnabled).toBe(false);
    sim.admin.deleteUser(S.dana);
    sim.admin.deleteGroup(S.contractors);
    const t2 = (await client.api(`/groups/${S.evals}/transitiveMembers`).get()) as {
      value: DirObject[];
    };
    expect(t2.value.map((o) => o.id).sort()).toEqual([S.ava, S.ben].sort());
    await expect(client.api(`/users/${S.dana}`).get()).rejects.toMatchObject({ statusCode: 404 });
    expect(sim.admin.getState().groups.map((x) => x.id)).not.toContain(S.contractors);
  });

  it('serves groups/delta: a full round, then only the changes', async () => {
    const first = (await client.api('/groups/delta').select('id,displayName,members').get()) as {
      value: Record<string, unknown>[];
      '@odata.deltaLink'?: string;
    };
    expect(first.value).toHaveLength(5);
    const deltaLink = first['@odata.deltaLink'] ?? '';
    expect(deltaLink).toContain('$deltatoken=');
    sim.admin.renameGroup(S.evals, 'Production LLM Evals');
    sim.admin.addMember(S.prodTeam, S.ben);
    sim.admin.deleteGroup(S.marketing);
    const second = (await client.api(deltaLink).get()) as { value: Record<string, unknown>[] };
    const byId = new Map(second.value.map((v) => [v.id, v]));
    expect(byId.get(S.evals)).toMatchObject({ displayName: 'Production LLM Evals' });
    expect(byId.get(S.prodTeam)?.['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: S.ben },
    ]);
    expect(byId.get(S.marketing)).toMatchObject({ '@removed': { reason: 'changed' } });
  });

  it('counts requests by normalised route, statuses and resource units', async () => {
    sim.resetCounters();
    await client.api(`/groups/${S.evals}/transitiveMembers`).get();
    await client.api(`/groups/${S.evals}/members`).select('id').get();
    await client.api(`/users/${S.ava}/getMemberGroups`).post({ securityEnabledOnly: true });
    await graphFetch(sim, token, '/groups/00000000-0000-0000-0000-00000000dead');
    const c = sim.counters();
    expect(c.requestsByRoute['GET /v1.0/groups/{id}/transitiveMembers']).toBe(1);
    expect(c.requestsByRoute['GET /v1.0/groups/{id}/members']).toBe(1);
    expect(c.requestsByRoute['POST /v1.0/users/{id}/getMemberGroups']).toBe(1);
    expect(c.statuses['404']).toBe(1);
    // Graph's documented costs: transitiveMembers 5, members 3 - 1 for $select, getMemberGroups 2, other GET 1.
    expect(c.resourceUnitsSpent).toBe(5 + 2 + 2 + 1);
  });
});
