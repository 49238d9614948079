/**
 * The secrets suite of issue 14: the real paths run with distinctive planted secrets (client
 * secret, client state, session secret, a storage key) while everything they say is captured:
 * the host's logs (every context.log), this process's stdout and stderr, every HTTP answer's
 * status, headers and body, and the stdout and stderr of `npm run sync` in a child process.
 * Then all of it is searched for those secrets and for the tokens, codes and cookies that
 * passed through. A cookie may appear only in the Set-Cookie header that issues it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import type { TenantData } from '../../dev/tenant/model.js';
import { functionDefinitions } from '../../functions/index.js';
import { loadSettings } from '../../shared/config/settings.js';
import { useServices, type Services } from '../../shared/services.js';
import * as steps from '../auth/login-steps.js';
import { groupChange, notificationServices, useQueueService } from '../support/notifications.js';
import { S, SAMPLE } from '../support/sample-tenant.js';
import { azuriteConnectionString, uniqueTablePrefix } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { findSecrets, type Secret } from './secret-scan.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${root}dist/cli/sync.js`;
const APP = `${root}dist/functions/app.js`;
const mark = randomBytes(6).toString('hex');

// Planted values: distinctive, so that finding one cannot be a coincidence.
const CLIENT_SECRET = `sim~PLANTED-client-secret-${mark}-Zq8`;
const SESSION_SECRET = `PLANTED-session-secret-${mark}-0123456789abcdef`;
const CLIENT_STATE = `PLANTED-client-state-${mark}-xyz`;
const SHORT_SESSION_SECRET = `PLANTED-short-${mark}`;
const BAD_ACCOUNT_KEY = `PLANTEDaccountKEY${mark}${'Q'.repeat(40)}==`;

const tenantData = JSON.parse(readFileSync(SAMPLE, 'utf8')) as TenantData & {
  app: { clientSecret: string };
};
tenantData.app.clientSecret = CLIENT_SECRET;

const tenant = useSimulatedTenant(tenantData);
const queues = useQueueService();

/** Everything said, by source. */
const captured = new Map<string, string>();
/** Cookie values and the Set-Cookie lines that legitimately carry them. */
const issuedCookies = new Set<string>();
const passedThrough: Secret[] = [];
function record(source: string, text: string): void {
  captured.set(source, `${captured.get(source) ?? ''}${text}\n`);
}

let host: LocalHost;
let services: Services;

beforeAll(async () => {
  for (const stream of ['stdout', 'stderr'] as const) {
    const original = process[stream].write.bind(process[stream]);
    vi.spyOn(process[stream], 'write').mockImplementation(((
      chunk: string | Uint8Array,
      ...rest: never[]
    ) => {
      record(
        `process ${stream}`,
        typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(),
      );
      return original(chunk, ...rest);
    }) as typeof process.stdout.write);
  }
  // vitest hands console.* to its reporter without process.stdout: captured on its own.
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      record(
        'console',
        args
          .map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack ?? ''}` : String(arg)))
          .join(' '),
      );
      original(...args);
    });
  }
  services = notificationServices(tenant, queues.connectionString, {
    SESSION_SECRET,
    NOTIFICATION_CLIENT_STATE: CLIENT_STATE,
    POST_LOGIN_REDIRECT_URL: '/api/console',
  });
  useServices(services);
  host = await startLocalHost({
    definitions: functionDefinitions,
    port: 0,
    timers: false,
    queues: false,
    log: (level, message) => {
      record('host log', `${level}: ${message}`);
    },
  });
});
afterAll(async () => {
  await host.stop();
  useServices(undefined);
  vi.restoreAllMocks();
});

/** fetch through the host, recording the whole answer; Set-Cookie values are noted as issued. */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path.startsWith('http') ? path : `${host.url}${path}`, {
    redirect: 'manual',
    ...init,
  });
  const body = await response.clone().text();
  const headers: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    headers.push(`${name}: ${value}`);
  }
  for (const line of response.headers.getSetCookie()) {
    const value = line.split(';')[0]?.split('=').slice(1).join('=') ?? '';
    if (value !== '') issuedCookies.add(value);
    record('set-cookie headers', line);
  }
  // The request's own URL (with its code) is not recorded: only what the service answered.
  record('http answers', `${response.status}\n${headers.join('\n')}\n\n${body}`);
  return response;
}

function cookieOf(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  return line?.split(';')[0] ?? '';
}

/** Runs a built entry point in a child process, recording its stdout and stderr. */
function runNode(
  script: string,
  args: string[],
  environment: Record<string, string>,
  label: string,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...tenant.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      record(`${label} stdout`, chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      record(`${label} stderr`, chunk.toString());
    });
    child.once('error', reject);
    child.once('close', resolve);
  });
}

function runCli(args: string[], environment: Record<string, string>): Promise<number | null> {
  return runNode(CLI, args, environment, 'npm run sync');
}

/** One sign-in through the real login flow; returns the console cookie (`name=value`). */
async function signIn(userId: string): Promise<string> {
  const login = await call('/api/sso/login');
  const loginCookie = cookieOf(login, 'mishikallm_sso_login');
  const answer = await steps.pickUser(tenant, new URL(login.headers.get('location') ?? ''), userId);
  passedThrough.push({ name: 'authorization code', value: answer.searchParams.get('code') ?? '' });
  const done = await call(answer.toString(), { headers: { cookie: loginCookie } });
  expect(done.status).toBe(302);
  // The same answer again: the code is spent (invalid_grant), and its error page is captured.
  const replayLogin = await call('/api/sso/login');
  answer.searchParams.set(
    'state',
    new URL(replayLogin.headers.get('location') ?? '').searchParams.get('state') ?? '',
  );
  const replayed = await call(answer.toString(), {
    headers: { cookie: cookieOf(replayLogin, 'mishikallm_sso_login') },
  });
  expect(replayed.status).toBe(400);
  return cookieOf(done, 'mishikallm_console');
}

describe('no secret appears in any output', () => {
  it('while the real paths run: sign-in, login, console, notifications, a full pass, npm run sync, bad settings', async () => {
    // Sign-in sync: a good token, an expired one, a forged one.
    for (const token of [
      await tenant.issueToken({ userId: S.ava }),
      await tenant.issueToken({ userId: S.ben, expiresInSeconds: -600 }),
      `${(await tenant.issueToken({ userId: S.ava })).slice(0, -8)}AAAAAAAA`,
    ]) {
      // The signature: the part no other text shares (claims such as the oid are not secret).
      passedThrough.push({ name: 'bearer token', value: token.split('.')[2] ?? '' });
      await call('/api/sync/me', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    }

    // Login with code redemption (and a replayed code), then the console and sign-out.
    const console = await signIn(S.ava);
    for (const page of ['', '/teams', `/teams/${S.evals}`, '/users', '/runs', '/held']) {
      await call(`/api/console${page}`, { headers: { cookie: console } });
    }
    const home = await (await call('/api/console', { headers: { cookie: console } })).text();
    // The CSRF token belongs in the page (it is not a secret from the user): not searched for.
    expect(home).toMatch(/name="csrf" value="[\w-]{43}"/);
    await call('/api/console/held/release', {
      method: 'POST',
      headers: { cookie: console, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=wrong&heldRunId=x',
    });
    // The token endpoint failing: its error detail goes to the log, never the client secret.
    tenant.faults.inject({ pathPattern: '/oauth2/v2.0/token', status: 503, times: 10 });
    const login = await call('/api/sso/login');
    const answer = await steps.pickUser(
      tenant,
      new URL(login.headers.get('location') ?? ''),
      S.ben,
    );
    passedThrough.push({
      name: 'authorization code',
      value: answer.searchParams.get('code') ?? '',
    });
    await call(answer.toString(), { headers: { cookie: cookieOf(login, 'mishikallm_sso_login') } });
    tenant.faults.clear();

    // Change notifications: the handshake, the right client state, a wrong one.
    await services.groupIndex.current(10_000);
    await call('/api/graph/notifications?validationToken=hello', { method: 'POST' });
    for (const clientState of [CLIENT_STATE, `${CLIENT_STATE}-wrong`, CLIENT_STATE.slice(0, -1)]) {
      await call('/api/graph/notifications', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: [groupChange(S.evals, clientState)] }),
      });
    }

    // A full pass, as the timer fires it.
    await host.fireTimer('reconcile');

    // npm run sync: a dry run, a real run, and one with a wrong client secret.
    const cli = {
      TABLES_CONNECTION_STRING: azuriteConnectionString(),
      TABLE_PREFIX: uniqueTablePrefix('Sec'),
    };
    expect(await runCli(['--dry-run'], cli)).toBe(0);
    expect(await runCli([], cli)).toBe(0);
    const wrongSecret = `sim~PLANTED-wrong-secret-${mark}`;
    passedThrough.push({ name: 'a wrong client secret', value: wrongSecret });
    expect(await runCli([], { ...cli, ENTRA_CLIENT_SECRET: wrongSecret })).not.toBe(0);

    // Start-up with bad settings: in this process and in a child.
    const bad = {
      ...tenant.env,
      TABLES_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AcountName=acct;AccountKey=${BAD_ACCOUNT_KEY};EndpointSuffix=core.windows.net`,
      SESSION_SECRET: SHORT_SESSION_SECRET,
      NOTIFICATION_CLIENT_STATE: `${CLIENT_STATE}${'x'.repeat(200)}`,
    };
    try {
      loadSettings(bad);
    } catch (error) {
      record(
        'start-up error',
        error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error),
      );
    }
    expect(await runCli(['--dry-run'], bad)).not.toBe(0);
    // The Functions app's own entry point: a bad setting stops it at import.
    expect(await runNode(APP, [], bad, 'functions app')).not.toBe(0);

    // The capture is not empty where it matters (so the search below cannot pass vacuously).
    expect(captured.get('host log')).toContain('sso/callback: signed in and synced user');
    expect(captured.get('host log')).toMatch(/clientState|client state/i);
    expect(captured.get('npm run sync stdout')).toMatch(/succeeded/);
    expect(captured.get('npm run sync stderr')).toMatch(/TABLES_CONNECTION_STRING/);
    expect(captured.get('start-up error')).toMatch(/TABLES_CONNECTION_STRING/);
    expect(captured.get('functions app stderr')).toMatch(/SESSION_SECRET = \(hidden\)/);
    expect(captured.get('http answers')).toContain('Ava Patel');

    const storageKey = /AccountKey=([^;]+)/.exec(azuriteConnectionString())?.[1] ?? '';
    const secrets: Secret[] = [
      { name: 'client secret', value: CLIENT_SECRET },
      { name: 'session secret', value: SESSION_SECRET },
      { name: 'client state', value: CLIENT_STATE },
      { name: 'storage account key (Azurite)', value: storageKey },
      { name: 'storage account key (bad setting)', value: BAD_ACCOUNT_KEY },
      { name: 'session secret (too short)', value: SHORT_SESSION_SECRET },
      ...passedThrough.filter((secret) => secret.value.length >= 8),
    ];
    const everywhere = new Map([...captured].filter(([source]) => source !== 'set-cookie headers'));
    expect(findSecrets(secrets, captured)).toEqual([]);
    // Cookies (the login attempt, the session): only in the Set-Cookie that issues them.
    const cookies = [...issuedCookies].map((value) => ({
      name: 'cookie (its signature)',
      value: value.split('.').at(-1) ?? value,
    }));
    expect(cookies.length).toBeGreaterThanOrEqual(4);
    expect(findSecrets(cookies, everywhere)).toEqual([]);
    // No JWT at all outside the Set-Cookie headers: every token is some secret.
    for (const [source, text] of everywhere) {
      expect.soft(text.match(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}/g) ?? [], source).toEqual([]);
    }
  }, 120_000);
});

describe('the search', () => {
  it('finds a planted leak whole, in part and encoded (so the suite can fail)', () => {
    const secret = { name: 'planted', value: CLIENT_SECRET };
    for (const leak of [
      `error: client secret was ${CLIENT_SECRET}`,
      `... ${CLIENT_SECRET.slice(3, 27)} ...`,
      `Authorization: Basic ${Buffer.from(`id:${CLIENT_SECRET}`).toString('base64')}`,
      `Authorization: Basic ${Buffer.from(`client:${CLIENT_SECRET}`).toString('base64')}`,
      `body=${encodeURIComponent(CLIENT_SECRET)}`,
      JSON.stringify({ detail: `x${CLIENT_SECRET}` }),
    ]) {
      const findings = findSecrets([secret], new Map([['log', leak]]));
      expect(findings, leak).toHaveLength(1);
    }
    expect(findSecrets([secret], new Map([['log', 'ENTRA_CLIENT_SECRET=(hidden)']]))).toEqual([]);
  });
});
