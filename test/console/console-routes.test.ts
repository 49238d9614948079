/**
 * The console over real HTTP, signed in through the real login flow against the simulated
 * tenant: who sees what, sessions that must read as signed out, CSRF on every form, escaping,
 * the security headers of every HTML page, and the operator read API's bearer tokens.
 */
import { describe, expect, it } from 'vitest';
import { CONSOLE_PATH, CONSOLE_SESSION_COOKIE_NAME } from '../../shared/console/index.js';
import { AVA, BEN, EVALS_GROUP } from '../auth/tenant.js';
import {
  csrfOf,
  get,
  post,
  SCRIPT_ALIAS,
  SCRIPT_TEAM_ID,
  seedHeldRun,
  signIn,
  useConsoleStack,
} from './console-fixture.js';

const stack = useConsoleStack();

function expectSecurityHeaders(headers: Headers, where: string) {
  const csp = headers.get('content-security-policy') ?? '';
  expect.soft(csp, where).toContain("default-src 'none'");
  expect.soft(csp, where).toContain("frame-ancestors 'none'");
  expect.soft(csp, where).not.toContain('unsafe-inline');
  expect.soft(csp, where).not.toContain('script-src');
  expect.soft(headers.get('x-frame-options'), where).toBe('DENY');
  expect.soft(headers.get('x-content-type-options'), where).toBe('nosniff');
  expect.soft(headers.get('referrer-policy'), where).toBe('no-referrer');
  expect.soft(headers.get('cache-control'), where).toBe('no-store');
  expect.soft(headers.get('strict-transport-security'), where).toMatch(/^max-age=31536000/);
  expect.soft(headers.get('content-type'), where).toMatch(/^text\/html/);
}

function heldRunSeeded(): Promise<string> {
  return seedHeldRun(stack);
}

async function runCount(): Promise<number> {
  return (await stack.services.repository.recentRuns(100)).length;
}

describe('signing in to the console', () => {
  it('sets a short-lived, HttpOnly, Secure, SameSite=Lax session scoped to the console', async () => {
    const { getSetCookie } = await import('./set-cookie.js');
    const lines = await getSetCookie(stack, BEN);
    const session = lines.find((line) => line.startsWith(`${CONSOLE_SESSION_COOKIE_NAME}=`)) ?? '';
    for (const attribute of [
      'Path=/api/console',
      'Max-Age=3600',
      'Secure',
      'HttpOnly',
      'SameSite=Lax',
    ]) {
      expect(session.split('; ')).toContain(attribute);
    }
  });

  it('lands on the console by default and shows "My teams" with the team id = group id', async () => {
    const cookie = await signIn(stack, BEN);
    const page = await get(stack, CONSOLE_PATH, cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Production LLM Evals Group');
    expect(page.text).toContain(EVALS_GROUP);
    expect(page.text).toMatch(/Signed in as <strong>Ben Okafor<\/strong> \(ben\.okafor@/);
    expect(page.text).not.toContain(SCRIPT_TEAM_ID);
    expect(page.text).not.toContain('All teams');
  });

  it('sends a visitor without a session to sign in, keeping the page asked for', async () => {
    const page = await get(stack, `${CONSOLE_PATH}/teams?page=abc`);
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(
      `/api/sso/login?redirect=${encodeURIComponent('/api/console/teams?page=abc')}`,
    );
  });

  it('treats an expired, forged or tampered session as signed out', async () => {
    const cookie = await signIn(stack, AVA);
    const value = cookie.slice(CONSOLE_SESSION_COOKIE_NAME.length + 1);
    const [header = '', payload = '', signature = ''] = value.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const elevated = Buffer.from(JSON.stringify({ ...claims, sub: BEN })).toString('base64url');
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('not-the-session-secret-0123456789abcdef'));
    for (const [what, candidate] of [
      ['tampered payload', `${header}.${elevated}.${signature}`],
      ['tampered signature', `${header}.${payload}.${flipped}`],
      ['forged with another key', forged],
      ['unsigned', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`],
      ['garbage', 'not-a-jwt'],
    ] as const) {
      const page = await get(stack, CONSOLE_PATH, `${CONSOLE_SESSION_COOKIE_NAME}=${candidate}`);
      expect.soft(page.status, what).toBe(302);
    }
    expect((await get(stack, CONSOLE_PATH, cookie)).status).toBe(200);
    stack.clockOffsetMs = 61 * 60 * 1000;
    try {
      expect((await get(stack, CONSOLE_PATH, cookie)).status).toBe(302);
    } finally {
      stack.clockOffsetMs = 0;
    }
  });
});

describe('admin and non-admin', () => {
  it('shows an admin every team, with source group, Entra name and member count', async () => {
    const cookie = await signIn(stack, AVA);
    const page = await get(stack, `${CONSOLE_PATH}/teams`, cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Production LLM Evals Group');
    expect(page.text).toContain(`/api/console/teams/${EVALS_GROUP}`);
    expect(page.text).toContain(
      '&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; Evil &amp; Co',
    );
    expect(page.text).not.toContain(SCRIPT_ALIAS);
    const team = await get(stack, `${CONSOLE_PATH}/teams/${EVALS_GROUP}`, cookie);
    expect(team.text).toContain('Ben Okafor');
    expect(team.text).toContain(BEN);
    for (const path of ['users', 'runs', 'held']) {
      expect((await get(stack, `${CONSOLE_PATH}/${path}`, cookie)).status, path).toBe(200);
    }
    const users = await get(stack, `${CONSOLE_PATH}/users`, cookie);
    expect(users.text).toContain('ava.patel@mishikallm.onmicrosoft.com');
    const runs = await get(stack, `${CONSOLE_PATH}/runs`, cookie);
    expect(runs.text).toContain('<svg');
    expect(runs.text).toContain('<h2>Change notifications</h2>');
    expect(runs.text).toContain('Off (NOTIFICATION_URL is not set)');
    const runId = /href="\/api\/console\/runs\/([^"]+)"/.exec(runs.text)?.[1] ?? '';
    const run = await get(stack, `${CONSOLE_PATH}/runs/${runId}`, cookie);
    expect(run.status).toBe(200);
    expect(run.text).toContain('membership-added');
    expect(run.text).toContain('Production LLM Evals Group');
  });

  it('refuses admin pages to a non-admin with 403', async () => {
    const cookie = await signIn(stack, BEN);
    for (const path of ['teams', `teams/${EVALS_GROUP}`, 'users', 'runs', 'held']) {
      const page = await get(stack, `${CONSOLE_PATH}/${path}`, cookie);
      expect.soft(page.status, path).toBe(403);
      expect.soft(page.text, path).toContain('<code id="error-code">forbidden</code>');
      expect.soft(page.text, path).not.toContain('Production LLM Evals Group</a>');
    }
  });
});

describe('Release of held removals', () => {
  it('is refused without a session, without or with a wrong CSRF token, and to a non-admin', async () => {
    const heldRunId = await heldRunSeeded();
    const ava = await signIn(stack, AVA);
    const ben = await signIn(stack, BEN);
    const benToken = csrfOf((await get(stack, CONSOLE_PATH, ben)).text);
    const avaToken = csrfOf((await get(stack, `${CONSOLE_PATH}/held`, ava)).text);
    const before = await runCount();
    const attempts: [string, Record<string, string>, string | undefined][] = [
      ['no session', { heldRunId, csrf: avaToken }, undefined],
      ['no token', { heldRunId }, ava],
      ['forged token', { heldRunId, csrf: 'A'.repeat(43) }, ava],
      ["another session's token", { heldRunId, csrf: benToken }, ava],
      ['a non-admin with a valid token', { heldRunId, csrf: benToken }, ben],
    ];
    for (const [what, fields, cookie] of attempts) {
      const answer = await post(stack, `${CONSOLE_PATH}/held/release`, fields, cookie);
      expect.soft(answer.status, what).toBe(403);
    }
    expect(await runCount()).toBe(before);
    expect(await stack.services.repository.recentReleases(10)).toEqual([]);
  });

  it('lets an admin release: runs the full pass with the limit raised and logs who released', async () => {
    const heldRunId = await heldRunSeeded();
    const ava = await signIn(stack, AVA);
    const held = await get(stack, `${CONSOLE_PATH}/held`, ava);
    expect(held.text).toContain('left &lt;b&gt;group&lt;/b&gt;');
    expect(held.text).toContain('Release 1 held removal(s)');
    const answer = await post(
      stack,
      `${CONSOLE_PATH}/held/release`,
      { heldRunId, csrf: csrfOf(held.text) },
      ava,
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toContain('id="release-outcome"');
    expect(answer.text).toContain('Released by Ava Patel');
    const [release] = await stack.services.repository.recentReleases(1);
    expect(release).toMatchObject({ releasedBy: AVA, heldRunId, maxMembershipRemovals: 1 });
    expect(stack.logs.join('\n')).toContain(
      `${AVA} released the removals held by run ${heldRunId}`,
    );
    // The hold is gone: releasing it again is refused.
    const again = await post(
      stack,
      `${CONSOLE_PATH}/held/release`,
      { heldRunId, csrf: csrfOf(held.text) },
      ava,
    );
    expect(again.status).toBe(409);
  });
});

describe('Sign out', () => {
  it('needs the CSRF token and clears the cookie', async () => {
    const cookie = await signIn(stack, BEN);
    expect((await post(stack, `${CONSOLE_PATH}/sign-out`, {}, cookie)).status).toBe(403);
    const token = csrfOf((await get(stack, CONSOLE_PATH, cookie)).text);
    const answer = await post(stack, `${CONSOLE_PATH}/sign-out`, { csrf: token }, cookie);
    expect(answer.status).toBe(200);
    expect(answer.headers.getSetCookie().join('\n')).toMatch(
      new RegExp(`^${CONSOLE_SESSION_COOKIE_NAME}=;.*Max-Age=0`),
    );
    expect(answer.text).toContain('You are signed out');
  });
});

describe('every HTML page', () => {
  it('carries the security headers and loads no script', async () => {
    const ava = await signIn(stack, AVA);
    const ben = await signIn(stack, BEN);
    const pages = [
      ['my teams', await get(stack, CONSOLE_PATH, ben)],
      ['all teams', await get(stack, `${CONSOLE_PATH}/teams`, ava)],
      ['a team', await get(stack, `${CONSOLE_PATH}/teams/${SCRIPT_TEAM_ID}`, ava)],
      ['users', await get(stack, `${CONSOLE_PATH}/users`, ava)],
      ['runs', await get(stack, `${CONSOLE_PATH}/runs`, ava)],
      ['held', await get(stack, `${CONSOLE_PATH}/held`, ava)],
      ['forbidden', await get(stack, `${CONSOLE_PATH}/users`, ben)],
      ['not found', await get(stack, `${CONSOLE_PATH}/teams/no-such-team`, ava)],
      ['bad page token', await get(stack, `${CONSOLE_PATH}/users?page=%25%25`, ava)],
      ['release refused', await post(stack, `${CONSOLE_PATH}/held/release`, {}, ava)],
      ['sign-out refused', await post(stack, `${CONSOLE_PATH}/sign-out`, {})],
      ['callback error', await get(stack, '/api/sso/callback?code=x&state=y')],
      ['login error', await get(stack, '/api/sso/login?redirect=https%3A%2F%2Fevil.example')],
    ] as const;
    for (const [what, page] of pages) {
      expectSecurityHeaders(page.headers, what);
      expect.soft(page.text, what).not.toMatch(/<script/i);
      expect.soft(page.text, what).not.toMatch(/ style=/i);
    }
    expect(pages.find(([what]) => what === 'a team')?.[1].text).toContain('&lt;script&gt;');
  });

  it('serves the stylesheet as CSS', async () => {
    const sheet = await get(stack, `${CONSOLE_PATH}/style.css`);
    expect(sheet.status).toBe(200);
    expect(sheet.headers.get('content-type')).toMatch(/^text\/css/);
    expect(sheet.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('the operator read API', () => {
  it("answers an admin's bearer token, refuses a non-admin's (403) and none (401)", async () => {
    const admin = await stack.tenant.issueToken({ userId: AVA });
    const member = await stack.tenant.issueToken({ userId: BEN });
    const call = (path: string, token?: string) =>
      fetch(`${stack.host.url}/api/operator/${path}`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
    const teams = await call('teams', admin);
    expect(teams.status).toBe(200);
    expect(JSON.stringify(await teams.json())).toContain(EVALS_GROUP);
    expect((await call(`teams/${EVALS_GROUP}`, admin)).status).toBe(200);
    expect((await call(`users/${BEN}`, admin)).status).toBe(200);
    expect((await call('sync/status', admin)).status).toBe(200);
    for (const path of ['teams', `users/${BEN}`, 'sync/status']) {
      expect.soft((await call(path, member)).status, path).toBe(403);
      expect.soft((await call(path)).status, path).toBe(401);
    }
  });
});
