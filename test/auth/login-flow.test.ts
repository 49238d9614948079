/**
 * The interactive sign-in over real HTTP: the local stand-in host serves the functions, the
 * simulated tenant plays Entra. One run goes through Chromium exactly as a person would; the
 * attacks and failures are driven with fetch, one redirect at a time.
 */
import type { Browser } from 'playwright-core';
import { launchChromium, skipBrowserTests } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import { functionDefinitions } from '../../functions/index.js';
import { LOGIN_COOKIE_NAME } from '../../shared/auth/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import * as steps from './login-steps.js';
import { S } from '../support/sample-tenant.js';
import { AVA, BEN, EVALS_GROUP, tenantSettings, useSampleTenant } from './tenant.js';

const ELIF = S.elif;

const PROXY_ORIGIN = 'https://proxy.example.com';
const tenant = useSampleTenant();
let host: LocalHost;
let services: Services;
let clockOffsetMs = 0;
const hostLogs: string[] = [];

beforeAll(async () => {
  const settings = tenantSettings(tenant, {
    POST_LOGIN_REDIRECT_URL: '/api/health',
    ALLOWED_REDIRECT_ORIGINS: PROXY_ORIGIN,
  });
  services = createServices(settings, { clock: () => new Date(Date.now() + clockOffsetMs) });
  useServices(services);
  host = await startLocalHost({
    definitions: functionDefinitions,
    port: 0,
    timers: false,
    log: (level, message) => hostLogs.push(`${level}: ${message}`),
  });
});
afterAll(async () => {
  await host.stop();
  useServices(undefined);
});

function startLogin(query = '') {
  return steps.startLogin(host.url, query);
}

function pickUser(authorize: URL, userId: string) {
  return steps.pickUser(tenant, authorize, userId);
}

function cancelSignIn(authorize: URL) {
  return steps.cancelSignIn(tenant, authorize);
}

const callback = steps.callback;

/** The "Sign in again" link of an error page, as the browser would read it. */
function startAgainLink(html: string): string | undefined {
  return /<a id="start-again" href="([^"]*)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
}

async function userRow(userId: string) {
  return (await services.repository.readUser(userId)).user;
}

describe('GET /api/sso/login', () => {
  it('redirects to the authorize endpoint with code flow, PKCE S256, state and nonce', async () => {
    const { authorize, setCookie } = await startLogin();
    expect(`${authorize.origin}${authorize.pathname}`).toBe(
      `${tenant.authorityHost}/${tenant.tenantId}/oauth2/v2.0/authorize`,
    );
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toMatchObject({
      client_id: tenant.clientId,
      response_type: 'code',
      response_mode: 'query',
      scope: 'openid profile email',
      redirect_uri: `${host.url}/api/sso/callback`,
      code_challenge_method: 'S256',
    });
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.state).not.toBe(params.nonce);

    expect(setCookie).toMatch(new RegExp(`^${LOGIN_COOKIE_NAME}=v1\\.`));
    for (const attribute of [
      'Path=/api/sso',
      'Max-Age=600',
      'Secure',
      'HttpOnly',
      'SameSite=Lax',
    ]) {
      expect(setCookie.split('; ')).toContain(attribute);
    }
    // Nothing in the cookie is readable as the state, nonce or verifier by a script or a URL.
    expect(setCookie).not.toContain(params.state);
  });

  it('refuses redirects off the site or to origins that are not allowed', async () => {
    for (const target of [
      'https://evil.example/phish',
      '//evil.example/phish',
      '/\\evil.example/phish',
      // Browsers drop tabs and newlines from URLs: these would become //evil.example.
      '/\t/evil.example/phish',
      '/\r\n/evil.example/phish',
      'javascript:alert(1)',
      'https://proxy.example.com.evil.example/',
      `https://user@${PROXY_ORIGIN.slice('https://'.length)}/`,
      'http://proxy.example.com/',
    ]) {
      const response = await callback(
        `${host.url}/api/sso/login?redirect=${encodeURIComponent(target)}`,
        undefined,
      );
      expect.soft(response.status, target).toBe(400);
      expect.soft(response.errorCode, target).toBe('redirect_not_allowed');
      expect.soft(response.setCookie, target).toBe('');
    }
  });

  it('accepts a path on this site and a page on an allowed origin', async () => {
    await startLogin(`?redirect=${encodeURIComponent('/ui/teams?tab=mine')}`);
    await startLogin(`?redirect=${encodeURIComponent(`${PROXY_ORIGIN}/ui`)}`);
  });
});

describe('GET /api/sso/callback', () => {
  it('signs the user in, syncs them and redirects to the page asked for', async () => {
    const start = await startLogin(`?redirect=${encodeURIComponent(`${PROXY_ORIGIN}/ui`)}`);
    const answer = await pickUser(start.authorize, BEN);
    expect(`${answer.origin}${answer.pathname}`).toBe(`${host.url}/api/sso/callback`);
    const response = await callback(answer, start.cookie);
    expect(response.status, response.text).toBe(302);
    expect(response.location).toBe(`${PROXY_ORIGIN}/ui`);
    expect(response.setCookie).toMatch(new RegExp(`^${LOGIN_COOKIE_NAME}=;.*Max-Age=0`));
    expect(await userRow(BEN)).toMatchObject({ userId: BEN, displayName: 'Ben Okafor' });
    // The code is single-use: replaying the answer with a fresh attempt's cookie is refused
    // as the browser's problem (400), with a way to sign in again to the same page.
    const again = await startLogin(`?redirect=${encodeURIComponent('/ui/teams?tab=mine')}`);
    const replay = new URL(answer);
    replay.searchParams.set('state', again.authorize.searchParams.get('state') ?? '');
    const replayed = await callback(replay, again.cookie);
    expect(replayed.status).toBe(400);
    expect(replayed.errorCode).toBe('login_code_invalid');
    expect(replayed.text).toContain('This sign-in link has expired');
    expect(replayed.text).toContain('invalid_grant, AADSTS54005');
    expect(startAgainLink(replayed.text)).toBe(
      `/api/sso/login?redirect=${encodeURIComponent('/ui/teams?tab=mine')}`,
    );
    expect(replayed.setCookie).toMatch(new RegExp(`^${LOGIN_COOKIE_NAME}=;.*Max-Age=0`));
  });

  it('answers a code issued for another redirect_uri as a stale link too (invalid_grant)', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    // The same site reached over https (as behind a front end): another redirect_uri.
    const other = await steps.startLogin(host.url, '', { 'x-forwarded-proto': 'https' });
    expect(other.authorize.searchParams.get('redirect_uri')).toMatch(/^https:/);
    answer.searchParams.set('state', other.authorize.searchParams.get('state') ?? '');
    const response = await callback(answer, other.cookie);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_code_invalid');
    expect(response.text).toContain('AADSTS500112');
    expect(startAgainLink(response.text)).toBe(
      `/api/sso/login?redirect=${encodeURIComponent('/api/health')}`,
    );
    expect(response.setCookie).toContain('Max-Age=0');
  });

  it('keeps a real failure of the token endpoint a 502', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    tenant.faults.inject({ pathPattern: '/oauth2/v2.0/token', status: 503, times: 10 });
    try {
      const response = await callback(answer, start.cookie);
      expect(response.status).toBe(502);
      expect(response.errorCode).toBe('login_failed');
      expect(response.setCookie).toContain('Max-Age=0');
    } finally {
      tenant.faults.clear();
    }
  });

  it('refuses an answer whose state is not the one this browser started with', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    answer.searchParams.set('state', 'forged-state-from-an-attacker');
    const response = await callback(answer, start.cookie);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_state_invalid');
    expect(response.text).toContain('state mismatch');
    expect(response.text).toContain('id="start-again"');
    expect(response.setCookie).toContain('Max-Age=0');
  });

  it('refuses an answer that arrives without the sign-in cookie', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    const response = await callback(answer, undefined);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_state_invalid');
    expect(response.text).toContain('cookie is missing');
    expect(response.setCookie).toContain('Max-Age=0');
    expect(startAgainLink(response.text)).toBe('/api/sso/login');
  });

  it('refuses a tampered cookie', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    const [name, value = ''] = start.cookie.split('=');
    const [version, payload = '', signature] = value.split('.');
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    session.returnTo = 'https://evil.example/';
    const forgedPayload = Buffer.from(JSON.stringify(session)).toString('base64url');
    const response = await callback(
      answer,
      `${name ?? ''}=${version ?? ''}.${forgedPayload}.${signature ?? ''}`,
    );
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_state_invalid');
    expect(response.text).toContain('altered');
    expect(response.location).toBeNull();
  });

  it('refuses a cookie older than ten minutes', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    clockOffsetMs = 11 * 60 * 1000;
    try {
      const response = await callback(answer, start.cookie);
      expect(response.status).toBe(400);
      expect(response.errorCode).toBe('login_state_invalid');
      expect(response.text).toContain('expired');
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('shows what Entra said when the user cancels (error=access_denied)', async () => {
    const start = await startLogin();
    const answer = await cancelSignIn(start.authorize);
    expect(answer.searchParams.get('error')).toBe('access_denied');
    const response = await callback(answer, start.cookie);
    expect(response.status).toBe(403);
    expect(response.errorCode).toBe('login_denied');
    expect(response.text).toContain('access_denied');
    expect(response.text).toContain('AADSTS65004');
    expect(response.setCookie).toContain('Max-Age=0');
  });

  it('refuses a user not assigned to the app with a page, clears the cookie and writes nothing', async () => {
    // Elif is in no assigned group and not assigned to the app herself.
    const start = await startLogin();
    const response = await callback(await pickUser(start.authorize, ELIF), start.cookie);
    expect(response.status).toBe(403);
    expect(response.errorCode).toBe('not_assigned');
    expect(response.text).toContain('<h1>You are not assigned to MishikaLLM</h1>');
    expect(response.text).toContain('ask your administrator');
    expect(response.text).not.toMatch(/ at .*\.(ts|js):\d+/);
    expect(response.setCookie).toMatch(new RegExp(`^${LOGIN_COOKIE_NAME}=;.*Max-Age=0`));
    expect(await userRow(ELIF)).toBeUndefined();
  });

  it('does not believe an error that does not carry the right state', async () => {
    const start = await startLogin();
    const response = await callback(
      `${host.url}/api/sso/callback?error=access_denied&error_description=${encodeURIComponent('<b>Call +1 555 0100 for help</b>')}&state=forged`,
      start.cookie,
    );
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_state_invalid');
    expect(response.text).not.toContain('555 0100');
  });

  it('answers a POST (form_post) the same way', async () => {
    const start = await startLogin();
    const answer = await pickUser(start.authorize, BEN);
    const response = await fetch(`${host.url}/api/sso/callback`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: start.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: answer.searchParams,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/api/health');
  });
});

describe.skipIf(skipBrowserTests)('the sign-in in a browser', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('takes a person from /api/sso/login through the sign-in page to the redirect, synced', async () => {
    expect(await userRow(AVA)).toBeUndefined();
    browser = await launchChromium();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(
      `${host.url}/api/sso/login?redirect=${encodeURIComponent('/api/health?signed-in=1')}`,
    );
    await page.locator(`a[data-user-id="${AVA}"]`).click();
    await page.waitForURL(`${host.url}/api/health?signed-in=1`);
    expect(await page.textContent('body')).toContain('"status"');
    // The attempt's cookie is gone once used.
    expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain(LOGIN_COOKIE_NAME);

    const user = await userRow(AVA);
    expect(user).toMatchObject({ userId: AVA, displayName: 'Ava Patel' });
    const team = await services.repository.readTeam(EVALS_GROUP);
    expect(team.team?.teamAlias).toBe('Production LLM Evals Group');
    // No log line of the whole run carries a code, a token or the cookie.
    const logs = hostLogs.join('\n');
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(logs).not.toContain('code=');
  });
});
