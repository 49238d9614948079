import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './arm.js';

const script = join(repoRoot, 'infra', 'scripts', 'grant-graph-permissions.sh');
const identity = '11111111-1111-4111-8111-111111111111';
const clientId = '22222222-2222-4222-8222-222222222222';
const graphPermissions = {
  'Application.Read.All': '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
  'GroupMember.Read.All': '98830695-27a2-44f7-8c18-0c3ebc9698f6',
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'Group.Read.All': '5b567255-7703-4780-807c-7be8301ae99b',
} as const;

let scratch: string;
let azLog: string;

// A stand-in for the Azure CLI: records each call (one argument per line, calls separated by
// a line "--") and answers the GET requests the script makes.
const fakeAz = String.raw`#!/usr/bin/env bash
for arg in "$@"; do printf '%s\n' "$arg" >> "$AZ_LOG"; done
printf -- '--\n' >> "$AZ_LOG"
url=''
method=''
while [[ $# -gt 0 ]]; do
  case "$1" in --url) url="$2"; shift ;; --method) method="$2"; shift ;; esac
  shift
done
[[ "$method" == get ]] || exit 0
case "$url" in
  *"servicePrincipals(appId='00000003-0000-0000-c000-000000000000')") echo graph-sp-object-id ;;
  */appRoleAssignments) echo 9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30 ;;
  */applications*) printf '%s\n' https://proxy.example.com/sso/callback ;;
  *'servicePrincipals?$filter'*) echo enterprise-app-object-id ;;
esac
`;

function runScript(args: string[], env: Record<string, string>) {
  return spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { PATH: `${scratch}:${process.env.PATH ?? ''}`, AZ_LOG: azLog, HOME: scratch, ...env },
  });
}

function azCalls(): string[][] {
  if (!existsSync(azLog)) return [];
  return readFileSync(azLog, 'utf8')
    .split('--\n')
    .filter((call) => call.length > 0)
    .map((call) => call.replace(/\n$/, '').split('\n'));
}

function option(call: readonly string[], name: string): string | undefined {
  const index = call.indexOf(name);
  return index < 0 ? undefined : call[index + 1];
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'grant-graph-'));
  azLog = join(scratch, 'az.log');
  writeFileSync(join(scratch, 'az'), fakeAz);
  chmodSync(join(scratch, 'az'), 0o755);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const azdEnvironment = {
  AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID: identity,
  ENTRA_CLIENT_ID: clientId,
  SERVICE_API_URI: 'https://func-abc.azurewebsites.net',
};

describe('infra/scripts/grant-graph-permissions.sh --dry-run', () => {
  it('prints every az command, with the values from the azd environment, and runs none', () => {
    rmSync(azLog, { force: true });
    const result = runScript(
      ['--dry-run', '--groups-claim', 'ApplicationGroup', '--id-token-issuance'],
      azdEnvironment,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(azCalls()).toEqual([]);

    const commands = result.stdout.split('\n').filter((line) => line.startsWith('+ az '));
    const posts = commands.filter((line) => line.includes('--method post'));
    expect(posts).toHaveLength(4);
    for (const appRoleId of Object.values(graphPermissions)) {
      expect(posts.some((line) => line.includes(`"appRoleId":"${appRoleId}"`))).toBe(true);
    }
    for (const post of posts) {
      expect(post).toContain(`/v1.0/servicePrincipals/${identity}/appRoleAssignments`);
      expect(post).toContain(
        `"principalId":"${identity}","resourceId":"<graph-service-principal-id>"`,
      );
    }
    const patch = commands.find(
      (line) => line.includes('--method patch') && line.includes('/applications('),
    );
    expect(patch).toContain(
      '"redirectUris":["https://func-abc.azurewebsites.net/api/sso/callback"]',
    );
    expect(patch).toContain(`"identifierUris":["api://${clientId}"]`);
    expect(patch).toContain('"enableIdTokenIssuance":true');
    expect(patch).toContain('"groupMembershipClaims":"ApplicationGroup"');
    expect(result.stdout).not.toMatch(/Directory\.Read\.All|ReadWrite/);
  });

  it('leaves ID tokens, the groups claim and assignment requirement alone unless asked', () => {
    const result = runScript(['--dry-run'], azdEnvironment);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('implicitGrantSettings');
    expect(result.stdout).not.toContain('groupMembershipClaims');
    expect(result.stdout).not.toContain('appRoleAssignmentRequired');
  });

  it('refuses to run without the identity, the client id and the redirect URI', () => {
    const result = runScript(['--dry-run'], {});
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--identity-principal-id');
    expect(result.stderr).toContain('--client-id');
    expect(result.stderr).toContain('--redirect-uri');
  });
});

describe('infra/scripts/grant-graph-permissions.sh against a stand-in az', () => {
  it('grants only the missing permissions and keeps the redirect URIs already registered', () => {
    rmSync(azLog, { force: true });
    const result = runScript(['--require-assignment'], azdEnvironment);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);

    const calls = azCalls();
    const granted = calls
      .filter((call) => option(call, '--method') === 'post')
      .map(
        (call) =>
          JSON.parse(option(call, '--body') ?? '{}') as { appRoleId: string; resourceId: string },
      );
    expect(granted.map(({ appRoleId }) => appRoleId).sort()).toEqual(
      [
        graphPermissions['GroupMember.Read.All'],
        graphPermissions['User.Read.All'],
        graphPermissions['Group.Read.All'],
      ].sort(),
    );
    expect(granted.every(({ resourceId }) => resourceId === 'graph-sp-object-id')).toBe(true);
    expect(result.stdout).toContain('Application.Read.All: already granted');

    const applicationPatch = calls.find(
      (call) =>
        option(call, '--method') === 'patch' &&
        (option(call, '--url') ?? '').includes('/applications('),
    );
    const body = JSON.parse(option(applicationPatch ?? [], '--body') ?? '{}') as {
      web: { redirectUris: string[] };
    };
    expect(body.web.redirectUris).toEqual([
      'https://proxy.example.com/sso/callback',
      'https://func-abc.azurewebsites.net/api/sso/callback',
    ]);

    const assignmentRequired = calls.find((call) =>
      option(call, '--url')?.endsWith('/servicePrincipals/enterprise-app-object-id'),
    );
    expect(option(assignmentRequired ?? [], '--body')).toBe('{"appRoleAssignmentRequired":true}');
    expect(
      calls.some((call) => option(call, '--url')?.endsWith('/v1.0/servicePrincipals') === true),
    ).toBe(false);
  });
});
