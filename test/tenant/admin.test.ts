import { describe, expect, it } from 'vitest';
import type { TenantCounters } from '../../dev/tenant/server.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, appToken, graphFetch } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${sim.baseUrl}/_admin${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
}

describe('the admin API over HTTP (for a separate process)', () => {
  it('walks the SSO walkthrough: assign the Default MishikaLLM Prod Team, add a user, see it in Graph', async () => {
    const t = sim;
    const token = await appToken(t);
    expect((await admin('POST', '/assignments', { principalId: S.prodTeam })).status).toBe(201);
    const newUser = {
      id: '0a0b0c0d-0000-4000-8000-000000000001',
      displayName: 'Hana Sato',
      userPrincipalName: 'hana.sato@mishikallm.onmicrosoft.com',
      mail: 'hana.sato@mishikallm.onmicrosoft.com',
    };
    expect((await admin('POST', '/users', newUser)).status).toBe(201);
    expect(
      (await admin('POST', `/groups/${S.prodTeam}/members`, { memberId: newUser.id })).status,
    ).toBe(201);
    expect(
      (await admin('PATCH', `/groups/${S.prodTeam}`, { displayName: 'Prod Team' })).status,
    ).toBe(200);
    expect((await admin('POST', `/users/${S.ben}/disable`)).status).toBe(200);

    const assigned = (await (
      await graphFetch(t, token, `/servicePrincipals/${t.servicePrincipalId}/appRoleAssignedTo`)
    ).json()) as { value: { principalId: string; principalDisplayName: string }[] };
    expect(assigned.value).toContainEqual(
      expect.objectContaining({ principalId: S.prodTeam, principalDisplayName: 'Prod Team' }),
    );
    const members = (await (
      await graphFetch(t, token, `/groups/${S.prodTeam}/members?$select=id`)
    ).json()) as { value: { id: string }[] };
    expect(members.value.map((m) => m.id)).toContain(newUser.id);
    const ben = (await (
      await graphFetch(t, token, `/users/${S.ben}?$select=accountEnabled`)
    ).json()) as { accountEnabled: boolean };
    expect(ben.accountEnabled).toBe(false);

    expect((await admin('DELETE', `/groups/${S.prodTeam}/members/${newUser.id}`)).status).toBe(200);
    expect((await admin('DELETE', `/assignments/${S.prodTeam}`)).status).toBe(200);
    expect((await admin('DELETE', `/users/${newUser.id}`)).status).toBe(200);
    expect((await admin('DELETE', `/groups/${S.marketing}`)).status).toBe(200);
    const state = (await (await admin('GET', '/state')).json()) as {
      groups: { id: string }[];
      assignments: { principalId: string }[];
    };
    expect(state.groups.map((g) => g.id)).not.toContain(S.marketing);
    expect(state.assignments.map((a) => a.principalId)).not.toContain(S.prodTeam);

    const missing = await admin('POST', `/groups/${S.evals}/members`, {
      memberId: '0a0b0c0d-0000-4000-8000-00000000ffff',
    });
    expect(missing.status).toBe(404);
    expect((await admin('GET', '/nope')).status).toBe(404);
    expect((await admin('POST', '/reset')).status).toBe(200);
    expect(t.admin.getState().groups.map((g) => g.id)).toContain(S.marketing);
  });

  it('injects faults, reads and resets counters, rotates keys and issues tokens', async () => {
    const t = sim;
    const token = await appToken(t);
    const injected = await admin('POST', '/faults', {
      pathRegex: `/groups/${S.evals}$`,
      status: 503,
      times: 1,
    });
    expect(injected.status).toBe(201);
    expect((await admin('GET', '/faults').then((r) => r.json())) as unknown[]).toHaveLength(1);
    expect((await graphFetch(t, token, `/groups/${S.evals}`)).status).toBe(503);
    expect((await graphFetch(t, token, `/groups/${S.evals}`)).status).toBe(200);

    const counters = (await (await admin('GET', '/counters')).json()) as TenantCounters;
    expect(counters.statuses['503']).toBe(1);
    expect(counters.requestsByRoute['GET /v1.0/groups/{id}']).toBe(2);
    expect((await admin('DELETE', '/counters')).status).toBe(200);
    expect(t.counters().total).toBe(0);

    const { kid } = (await (await admin('POST', '/keys/rotate', {})).json()) as { kid: string };
    expect(typeof kid).toBe('string');
    const { token: idToken } = (await (
      await admin('POST', '/tokens', { userId: S.ava })
    ).json()) as { token: string };
    expect(idToken.split('.')).toHaveLength(3);
    expect((await admin('PUT', '/config', { pageSize: 1 })).status).toBe(200);
    const page = (await (await graphFetch(t, token, `/groups/${S.evals}/members`)).json()) as {
      value: unknown[];
    };
    expect(page.value).toHaveLength(1);
    const info = (await (await admin('GET', '/info')).json()) as {
      pageSize: number;
      tenantId: string;
    };
    expect(info).toMatchObject({ pageSize: 1, tenantId: t.tenantId });
  });
});
