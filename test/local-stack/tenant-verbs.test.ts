/**
 * Each `npm run tenant -- <verb>` against a running simulated tenant, found through a stack file
 * as `npm start` writes it: what it changes, and the one line it answers when a name is unknown
 * or ambiguous or an argument is missing.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStackFile } from '../../dev/stack/stack-file.js';
import { parseTenantData } from '../../dev/tenant/model.js';
import { startSimulatedTenant, type SimulatedTenant } from '../../dev/tenant/server.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { temporaryDataDir, tenant } from '../support/local-stack.js';

const dataDir = temporaryDataDir();
const stateFile = join(dataDir, '.dev-tenant', 'state.json');
let sim: SimulatedTenant;

beforeAll(async () => {
  sim = await startSimulatedTenant({ tenant: SAMPLE, stateFile, port: 0 });
  writeStackFile(join(dataDir, '.dev-stack.json'), {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    functions: { url: 'http://localhost:1', host: 'stand-in' },
    tenant: {
      url: sim.baseUrl,
      adminPage: `${sim.baseUrl}/_admin/`,
      tenantId: sim.tenantId,
      stateFile,
      seedFile: SAMPLE,
      caPath: sim.caPath ?? '',
      settings: sim.env,
    },
    storage: null,
  });
});
afterAll(async () => {
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const saved = () => parseTenantData(JSON.parse(readFileSync(stateFile, 'utf8')));

/** The verb's one line of failure, on stderr, with nothing on stdout. */
async function failure(...args: string[]): Promise<string> {
  const result = await tenant(dataDir, ...args);
  expect(result.code, result.stdout).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at |ZodError|"code":/);
  return lines[0] ?? '';
}

describe('npm run tenant -- <verb>', () => {
  it('groups and users list the directory', async () => {
    const groups = await tenant(dataDir, 'groups');
    expect(groups.stdout).toMatch(
      /Production LLM Evals Group\s+4d8c44e9-\S+\s+assigned\s+3: Ava Patel/,
    );
    const users = await tenant(dataDir, 'users');
    expect(users.stdout).toMatch(/Farah Haddad\s+farah\.haddad@\S+\s+539ffb0b-\S+\s+disabled/);
  });

  it('create-group: the tenant assigns the id and prints it', async () => {
    const result = await tenant(dataDir, 'create-group', 'Platform Ops');
    const id = /with id ([0-9a-f-]{36})/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(saved().groups.find((group) => group.id === id)?.displayName).toBe('Platform Ops');
  });

  it('assign and unassign, by name in any case or by id', async () => {
    expect((await tenant(dataDir, 'assign', 'platform OPS')).stdout).toContain(
      'Assigned "Platform Ops"',
    );
    expect((await tenant(dataDir, 'assign', 'Platform Ops')).stdout).toContain('already assigned');
    const group = saved().groups.find((g) => g.displayName === 'Platform Ops');
    expect(saved().assignments.map((a) => a.principalId)).toContain(group?.id);
    expect((await tenant(dataDir, 'unassign', group?.id ?? '')).code).toBe(0);
    expect(saved().assignments.map((a) => a.principalId)).not.toContain(group?.id);
    expect(await failure('unassign', 'Platform Ops')).toBe(
      'tenant: "Platform Ops" is not assigned to the app.',
    );
  });

  it('create-user fills in the sign-in name and mail; add-member and remove-member take it', async () => {
    const created = await tenant(dataDir, 'create-user', 'Hana Sato');
    expect(created.stdout).toContain('hana.sato@mishikallm.onmicrosoft.com');
    const hana = saved().users.find((user) => user.displayName === 'Hana Sato');
    expect(hana).toMatchObject({
      mail: 'hana.sato@mishikallm.onmicrosoft.com',
      givenName: 'Hana',
      surname: 'Sato',
    });

    expect(
      (await tenant(dataDir, 'add-member', 'Platform Ops', 'HANA.SATO@mishikallm.onmicrosoft.com'))
        .code,
    ).toBe(0);
    expect(saved().groups.find((g) => g.displayName === 'Platform Ops')?.members).toEqual([
      hana?.id,
    ]);
    expect(
      (await tenant(dataDir, 'add-member', 'Platform Ops', 'LLM Evals Contractors')).stdout,
    ).toContain('the group "LLM Evals Contractors"');
    expect((await tenant(dataDir, 'remove-member', 'Platform Ops', 'Hana Sato')).code).toBe(0);
    expect(await failure('remove-member', 'Platform Ops', 'Hana Sato')).toContain(
      'is not a direct member of "Platform Ops"',
    );
    expect(
      await failure('create-user', 'Someone', 'hana.sato@mishikallm.onmicrosoft.com'),
    ).toContain('already exists');
  });

  it('rename-group renames', async () => {
    expect(
      (await tenant(dataDir, 'rename-group', 'Platform Ops', 'Platform Operations')).code,
    ).toBe(0);
    expect(saved().groups.map((group) => group.displayName)).toContain('Platform Operations');
  });

  it('answers an unknown or ambiguous name, a missing argument and an unknown verb in one line', async () => {
    expect(await failure('assign', 'Nope')).toMatch(
      /^tenant: No group is named "Nope"\. Groups: "Production LLM Evals Group"/,
    );
    expect(await failure('add-member', 'All Staff', 'nobody@example.com')).toMatch(
      /No user or group matches "nobody@example.com"/,
    );
    await tenant(dataDir, 'create-group', 'Twice');
    await tenant(dataDir, 'create-group', 'twice');
    expect(await failure('assign', 'TWICE')).toMatch(
      /^tenant: 2 groups are named "TWICE" \([0-9a-f-]{36}, [0-9a-f-]{36}\): give the id instead\.$/,
    );
    expect(await failure('create-group')).toBe(
      'tenant: Usage: npm run tenant -- create-group "<name>"',
    );
    expect(await failure('add-member', 'All Staff')).toContain(
      'Usage: npm run tenant -- add-member',
    );
    expect(await failure('frobnicate')).toContain('There is no verb "frobnicate"');
  });

  it('the admin API answers a missing field in words', async () => {
    const json = { 'content-type': 'application/json' };
    const response = await fetch(`${sim.baseUrl}/_admin/groups`, {
      method: 'POST',
      headers: json,
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      message: 'displayName is required',
    });
    const member = await fetch(`${sim.baseUrl}/_admin/groups/${S.evals}/members`, {
      method: 'POST',
      headers: json,
      body: '{}',
    });
    expect(await member.json()).toEqual({
      error: 'invalid_request',
      message: 'memberId is required',
    });
  });

  it('reset goes back to the sample, in the running tenant and its state file', async () => {
    expect((await tenant(dataDir, 'reset')).code).toBe(0);
    expect(saved().groups.map((group) => group.displayName)).not.toContain('Platform Operations');
    expect(sim.admin.getState().groups).toHaveLength(5);
  });

  it('generate --out writes a valid tenant file and exits', async () => {
    const out = join(dataDir, 'generated.json');
    const result = await tenant(
      dataDir,
      'generate',
      '{"seed":7,"users":40,"groups":6}',
      '--out',
      out,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const data = parseTenantData(JSON.parse(readFileSync(out, 'utf8')));
    expect(data.users).toHaveLength(40);
    expect(data.groups).toHaveLength(6);
    expect(await failure('generate', '{"seed":7}', '--out', out)).toContain('"users" and "groups"');
    expect(await failure('generate', 'not json', '--out', out)).toContain('not valid JSON');
  });
});
