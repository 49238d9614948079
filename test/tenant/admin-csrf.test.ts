/**
 * The admin API against a web page in the developer's browser: cross-site requests that need no
 * CORS preflight (forms, no-cors fetches) and DNS rebinding are refused, and nothing changes;
 * the tenant CLI and the admin page keep working.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { clientFor } from '../../dev/tenant/cli/admin-client.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);

interface Answer {
  status: number;
  body: { error?: string; message?: string };
}

/** A raw request: unlike fetch, it can send any Host header. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const url = new URL(`/_admin${path}`, sim.baseUrl);
  const ca = readFileSync(sim.caPath ?? '');
  return new Promise((resolve, reject) => {
    // The certificate names localhost; the Host header is the part under test.
    const outgoing = request(url, { method, ca, headers, servername: 'localhost' }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          body: text.startsWith('{') ? (JSON.parse(text) as Answer['body']) : {},
        });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const newUser = {
  id: '0a0b0c0d-0000-4000-8000-0000000000c5',
  displayName: 'Cross Site',
  userPrincipalName: 'cross.site@mishikallm.onmicrosoft.com',
};

function userExists(): boolean {
  return sim.admin.getState().users.some((user) => user.id === newUser.id);
}

describe('the admin API refuses what a web page can send without a preflight', () => {
  it('a text/plain body (a form with enctype="text/plain", or a no-cors fetch): 415, no user', async () => {
    const answer = await send(
      'POST',
      '/users',
      { 'content-type': 'text/plain;charset=UTF-8' },
      JSON.stringify(newUser),
    );
    expect(answer.status).toBe(415);
    expect(answer.body.error).toBe('unsupported_media_type');
    expect(userExists()).toBe(false);
  });

  it('a form-encoded or multipart body, or a body without a content type: 415', async () => {
    const before = JSON.stringify(sim.admin.getState());
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await send('POST', '/assignments', { 'content-type': type }, 'principalId=x');
      expect(answer.status, type).toBe(415);
    }
    expect((await send('POST', '/users', {}, JSON.stringify(newUser))).status).toBe(415);
    expect(JSON.stringify(sim.admin.getState())).toBe(before);
  });

  it('a request from another origin, even with a JSON body or none: 403, nothing changes', async () => {
    const before = JSON.stringify(sim.admin.getState());
    const json = { 'content-type': 'application/json' };
    const fromPage = await send(
      'POST',
      '/users',
      { ...json, origin: 'https://attacker.example' },
      JSON.stringify(newUser),
    );
    expect(fromPage.status).toBe(403);
    expect(fromPage.body.error).toBe('forbidden');
    // A bodiless POST needs no content type: the Origin is what gives it away.
    expect((await send('POST', '/reset', { origin: 'null' })).status).toBe(403);
    expect(
      (await send('DELETE', `/users/${S.ava}`, { 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(403);
    expect(JSON.stringify(sim.admin.getState())).toBe(before);
  });

  it('a DNS-rebinding Host, for reads and changes alike: 421', async () => {
    const rebound = { host: `attacker.example:${new URL(sim.baseUrl).port}` };
    const read = await send('GET', '/state', rebound);
    expect(read.status).toBe(421);
    expect(read.body.error).toBe('misdirected_request');
    expect(JSON.stringify(read.body)).not.toContain(S.ava);
    expect((await send('GET', '/', rebound)).status).toBe(421);
    const change = await send(
      'POST',
      '/users',
      { ...rebound, 'content-type': 'application/json' },
      JSON.stringify(newUser),
    );
    expect(change.status).toBe(421);
    expect(userExists()).toBe(false);
  });
});

describe('what stays working', () => {
  it('the tenant CLI (JSON bodies, bodiless POSTs and DELETEs, no Origin)', async () => {
    const client = clientFor(sim.baseUrl, sim.caPath ?? '');
    await client.call('POST', '/users', newUser);
    expect(userExists()).toBe(true);
    await client.call('POST', `/users/${newUser.id}/disable`);
    await client.call('DELETE', `/users/${newUser.id}`);
    expect(userExists()).toBe(false);
    expect((await client.state()).users.length).toBeGreaterThan(0);
  });

  it('the tenant itself as origin, and localhost on its port', async () => {
    const port = new URL(sim.baseUrl).port;
    for (const origin of [sim.baseUrl, `https://localhost:${port}`]) {
      const answer = await send('POST', '/counters/reset', {
        origin,
        host: `localhost:${port}`,
      });
      expect(answer.status, origin).toBe(200);
    }
  });

  it('the admin page and its forms from the page itself', async () => {
    expect((await send('GET', '/', {})).status).toBe(200);
    const form = await send(
      'POST',
      '/page/create-group',
      { origin: sim.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ name: 'Made On The Page' }).toString(),
    );
    expect(form.status).toBe(303);
    expect(sim.admin.getState().groups.map((group) => group.displayName)).toContain(
      'Made On The Page',
    );
  });
});
