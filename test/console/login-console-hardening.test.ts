/**
 * The login and console suite of issue 14, over real HTTP against the local stand-in host and
 * the simulated tenant. What login-flow.test.ts and console-routes.test.ts already try (state
 * mismatch, missing, tampered and expired sign-in cookie, a replayed code, redirects on
 * ?redirect=, Release's CSRF) is not repeated; this file adds what they leave out and sweeps
 * every registered route, so that a route added later is covered without editing a list.
 */
import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../functions/index.js';
import type { HttpFunctionDefinition } from '../../functions/registry.js';
import { LOGIN_COOKIE_NAME } from '../../shared/auth/index.js';
import { CONSOLE_SESSION_COOKIE_NAME } from '../../shared/console/index.js';
import * as steps from '../auth/login-steps.js';
import { AVA, BEN, EVALS_GROUP } from '../auth/tenant.js';
import {
  csrfOf,
  get,
  SCRIPT_TEAM_ID,
  seedHeldRun,
  signIn,
  useConsoleStack,
} from './console-fixture.js';

const stack = useConsoleStack();

const httpRoutes = functionDefinitions.filter(
  (definition): definition is HttpFunctionDefinition => definition.trigger === 'http',
);

/** Values for route parameters: one that exists and one that does not. */
const PARAMETER_VALUES: Record<string, readonly string[]> = {
  teamId: [EVALS_GROUP, SCRIPT_TEAM_ID, 'no-such-team'],
  userId: [AVA, 'no-such-user'],
  runId: ['no-such-run'],
};

/** Every concrete path of a route: optional parameters both left out and filled. */
function pathsOf(route: string): string[] {
  const parameter = /\{(\w+)(\?)?\}/.exec(route);
  if (parameter === null) return [`/api/${route}`];
  const [whole, name = '', optional] = parameter;
  const values = PARAMETER_VALUES[name];
  if (values === undefined) throw new Error(`no sample value for route parameter ${name}`);
  const filled = values.flatMap((value) => pathsOf(route.replace(whole, value)));
  return optional === undefined ? filled : [...pathsOf(route.replace(`/${whole}`, '')), ...filled];
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function send(
  method: string,
  path: string,
  options: { cookie?: string | undefined; form?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${stack.host.url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
      ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(method === 'POST' ? { body: new URLSearchParams(options.form ?? {}).toString() } : {}),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function setCookies(answer: Answer): string[] {
  return answer.headers.getSetCookie();
}

function consoleCookieOf(lines: readonly string[]): string | undefined {
  return lines.find((line) => line.startsWith(`${CONSOLE_SESSION_COOKIE_NAME}=`))?.split(';')[0];
}

/** The session id inside a console cookie (its JWT payload's `sid`). */
function sessionIdOf(cookie: string): string {
  const payload = cookie.split('=')[1]?.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sid: string }).sid;
}

describe('the sign-in answer', () => {
  it('is refused without a state parameter', async () => {
    const start = await steps.startLogin(stack.host.url);
    const answer = await steps.pickUser(stack.tenant, start.authorize, BEN);
    answer.searchParams.delete('state');
    const response = await steps.callback(answer, start.cookie);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_state_invalid');
    expect(response.text).toContain('no state parameter');
    expect(response.setCookie).not.toContain(`${CONSOLE_SESSION_COOKIE_NAME}=e`);
  });

  it('is refused when the ID token carries another nonce than the one this sign-in sent', async () => {
    const start = await steps.startLogin(stack.host.url);
    // The authorize request is changed on its way (the state and PKCE stay this sign-in's).
    const altered = new URL(start.authorize);
    altered.searchParams.set('nonce', 'nonce-chosen-by-someone-else');
    const answer = await steps.pickUser(stack.tenant, altered, BEN);
    const response = await steps.callback(answer, start.cookie);
    expect(response.status).toBe(401);
    expect(response.errorCode).toBe('token_nonce');
    expect(response.setCookie).not.toContain(`${CONSOLE_SESSION_COOKIE_NAME}=e`);
    expect(response.setCookie).toMatch(new RegExp(`^${LOGIN_COOKIE_NAME}=;.*Max-Age=0`));
  });
});

describe('session fixation', () => {
  it('a console cookie set before the sign-in does not survive it: a new session id is issued', async () => {
    const planted = await signIn(stack, BEN);
    const start = await steps.startLogin(stack.host.url, '?redirect=%2Fapi%2Fconsole');
    const answer = await steps.pickUser(stack.tenant, start.authorize, AVA);
    const response = await steps.callback(answer, `${start.cookie}; ${planted}`);
    expect(response.status).toBe(302);
    const issued = consoleCookieOf(response.setCookie.split('\n'));
    if (issued === undefined) throw new Error('the sign-in set no console cookie');
    expect(issued).not.toBe(planted);
    expect(sessionIdOf(issued)).not.toBe(sessionIdOf(planted));
    const page = await get(stack, '/api/console', issued);
    expect(page.text).toContain('Ava Patel');
  });

  it('two console cookies in one request (one tossed in by a sibling site) read as signed out', async () => {
    const ben = await signIn(stack, BEN);
    const ava = await signIn(stack, AVA);
    // A cookie set for a longer path or a parent domain comes first in the browser's header.
    for (const cookie of [`${ben}; ${ava}`, `${ava}; ${ben}`]) {
      const page = await get(stack, '/api/console', cookie);
      expect(page.status, cookie.slice(0, 40)).toBe(302);
      expect(page.headers.get('location')).toMatch(/^\/api\/sso\/login\?redirect=/);
    }
    const start = await steps.startLogin(stack.host.url);
    const other = await steps.startLogin(stack.host.url);
    const answer = await steps.pickUser(stack.tenant, start.authorize, AVA);
    const response = await steps.callback(answer, `${other.cookie}; ${start.cookie}`);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('login_state_invalid');
  });
});

describe('CSRF, on every POST route of the console (from the registrations)', () => {
  const posts = httpRoutes.filter(
    (route) => route.route.startsWith('console') && route.methods.includes('POST'),
  );

  it('covers each form the pages render', async () => {
    await seedHeldRun(stack);
    const ava = await signIn(stack, AVA);
    const actions = new Set<string>();
    for (const route of httpRoutes.filter((r) => r.route.startsWith('console'))) {
      for (const path of pathsOf(route.route)) {
        const page = await send('GET', path, { cookie: ava });
        for (const form of page.text.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)) {
          const html = form[0];
          expect.soft(html, path).toMatch(/method="post"/);
          expect.soft(html, path).toMatch(/<input type="hidden" name="csrf" value="[\w-]{43}"/);
          actions.add(/action="([^"]+)"/.exec(html)?.[1] ?? '');
        }
      }
    }
    expect([...actions].sort()).toEqual(posts.map((route) => `/api/${route.route}`).sort());
  });

  it('refuses each without a session, without a token, with a forged one and with another session token', async () => {
    expect(posts.length).toBeGreaterThanOrEqual(2);
    const ava = await signIn(stack, AVA);
    const ben = await signIn(stack, BEN);
    const benToken = csrfOf((await get(stack, '/api/console', ben)).text);
    const avaToken = csrfOf((await get(stack, '/api/console', ava)).text);
    const before = (await stack.services.repository.recentRuns(100)).length;
    for (const route of posts) {
      const path = `/api/${route.route}`;
      const attempts: [string, string | undefined, Record<string, string>][] = [
        ['no session', undefined, { csrf: avaToken, heldRunId: 'x' }],
        ['no token', ava, { heldRunId: 'x' }],
        ['empty token', ava, { csrf: '', heldRunId: 'x' }],
        ['forged token', ava, { csrf: 'A'.repeat(43), heldRunId: 'x' }],
        ["another session's token", ava, { csrf: benToken, heldRunId: 'x' }],
      ];
      for (const [what, cookie, form] of attempts) {
        const answer = await send('POST', path, { cookie, form });
        expect.soft(answer.status, `${path}: ${what}`).toBe(403);
        expect.soft(setCookies(answer), `${path}: ${what}`).toEqual([]);
      }
    }
    expect((await stack.services.repository.recentRuns(100)).length).toBe(before);
  });
});

/** Targets an attacker would put in any parameter that might be followed. */
const OFF_SITE = [
  'https://evil.example/x',
  '//evil.example/x',
  '/\\evil.example/x',
  '/%09/evil.example',
  'https:evil.example',
  'javascript:alert(1)',
];
const URL_PARAMETERS = [
  'redirect',
  'redirect_uri',
  'redirectUrl',
  'returnTo',
  'return_to',
  'returnUrl',
  'next',
  'url',
  'target',
  'continue',
  'post_logout_redirect_uri',
];

/** A Location that stays on this site or goes to the tenant's own sign-in page. */
function isOnSite(location: string): boolean {
  if (location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\')) {
    return true;
  }
  return location.startsWith(`${stack.tenant.authorityHost}/${stack.tenant.tenantId}/`);
}

describe('open redirects, in every parameter of every registered route', () => {
  it('no answer sends the browser off the site, signed in or not', async () => {
    const ava = await signIn(stack, AVA);
    let tried = 0;
    for (const route of httpRoutes) {
      for (const path of pathsOf(route.route)) {
        for (const method of route.methods) {
          for (const cookie of [undefined, ava]) {
            for (const target of OFF_SITE) {
              const query = URL_PARAMETERS.map(
                (name) => `${name}=${encodeURIComponent(target)}`,
              ).join('&');
              const form = Object.fromEntries(URL_PARAMETERS.map((name) => [name, target]));
              const answer = await send(method, `${path}?${query}`, { cookie, form });
              tried += 1;
              const location = answer.headers.get('location');
              if (location !== null) {
                expect.soft(isOnSite(location), `${method} ${path} -> ${location}`).toBe(true);
              }
              if (location?.startsWith(stack.tenant.authorityHost) === true) {
                // The authorize request names only this app's callback.
                const redirectUri = new URL(location).searchParams.get('redirect_uri') ?? '';
                expect.soft(redirectUri).toBe(`${stack.host.url}/api/sso/callback`);
              }
              expect.soft(answer.status, `${method} ${path}`).toBeLessThan(500);
            }
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(300);
  });

  it('the page a sign-in returns to is never off the site, however the console URL is spelled', async () => {
    let followed = 0;
    for (const path of [
      '/api/console/teams/%2F%2Fevil.example',
      '/api/console/teams/%5Cevil.example',
      '/api/console/runs/%2F%2Fevil.example%2F',
      '/api/console/teams/x?next=%2F%2Fevil.example',
    ]) {
      const answer = await send('GET', path);
      const location = answer.headers.get('location');
      expect.soft(location, path).toMatch(/^\/api\/sso\/login\?redirect=/);
      if (location === null) continue;
      // Sign in through that link: the browser lands where the console URL said, on this site.
      const start = await steps.startLogin(stack.host.url, location.slice('/api/sso/login'.length));
      const back = await steps.pickUser(stack.tenant, start.authorize, BEN);
      const landed = await steps.callback(back, start.cookie);
      expect.soft(landed.status, path).toBe(302);
      expect
        .soft(isOnSite(landed.location ?? ''), `${path} -> ${landed.location ?? ''}`)
        .toBe(true);
      expect.soft(landed.location, path).toMatch(/^\/api\/console\//);
      followed += 1;
    }
    expect(followed).toBe(4);
  });
});

describe('cookie flags', () => {
  it('every cookie any route sets is HttpOnly, Secure, SameSite, has a Path and no Domain', async () => {
    const ava = await signIn(stack, AVA);
    const start = await steps.startLogin(stack.host.url);
    const answer = await steps.pickUser(stack.tenant, start.authorize, AVA);
    const signedIn = await steps.callback(answer, start.cookie);
    const signOut = await send('POST', '/api/console/sign-out', {
      cookie: ava,
      form: { csrf: csrfOf((await get(stack, '/api/console', ava)).text) },
    });
    const failed = await steps.callback(
      `${stack.host.url}/api/sso/callback?code=x&state=y`,
      start.cookie,
    );
    const lines = [
      start.setCookie,
      ...signedIn.setCookie.split('\n'),
      ...setCookies(signOut),
      ...failed.setCookie.split('\n'),
    ].filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      const attributes = line
        .split('; ')
        .slice(1)
        .map((attribute) => attribute.toLowerCase());
      expect.soft(attributes, line).toContain('httponly');
      expect.soft(attributes, line).toContain('secure');
      expect.soft(attributes, line).toContain('samesite=lax');
      expect
        .soft(
          attributes.some((a) => a.startsWith('domain=')),
          line,
        )
        .toBe(false);
      const path = attributes.find((a) => a.startsWith('path='));
      expect.soft(['path=/api/sso', 'path=/api/console'], line).toContain(path);
    }
  });
});

/** Parameters that make the sign-in routes and paged console lists answer an error page. */
const ERROR_QUERY = '?redirect=https%3A%2F%2Fevil.example&code=x&state=y&page=%25%25';

describe('security headers', () => {
  function expectHtmlHeaders(headers: Headers, where: string): void {
    expect
      .soft(headers.get('content-security-policy'), where)
      .toMatch(/^default-src 'none'.*frame-ancestors 'none'$/);
    expect.soft(headers.get('x-frame-options'), where).toBe('DENY');
    expect.soft(headers.get('x-content-type-options'), where).toBe('nosniff');
    expect.soft(headers.get('referrer-policy'), where).toBe('no-referrer');
    expect.soft(headers.get('cache-control'), where).toBe('no-store');
    expect.soft(headers.get('strict-transport-security'), where).toMatch(/^max-age=31536000/);
  }

  it('are on every HTML page of every registered route, for every visitor', async () => {
    const ava = await signIn(stack, AVA);
    const ben = await signIn(stack, BEN);
    const html = new Map<string, number>();
    for (const route of httpRoutes) {
      for (const path of pathsOf(route.route)) {
        for (const method of route.methods) {
          for (const cookie of [undefined, ben, ava]) {
            for (const query of ['', ERROR_QUERY]) {
              const answer = await send(method, `${path}${query}`, { cookie, form: {} });
              const type = answer.headers.get('content-type') ?? '';
              const where = `${method} ${path}${query} (${answer.status})`;
              // Every answer with a body: nosniff.
              if (type !== '') {
                expect.soft(answer.headers.get('x-content-type-options'), where).toBe('nosniff');
              }
              if (!type.startsWith('text/html')) continue;
              html.set(route.name, (html.get(route.name) ?? 0) + 1);
              expectHtmlHeaders(answer.headers, where);
              expect.soft(answer.text, where).not.toMatch(/<script/i);
            }
          }
        }
      }
    }
    // Every console page and both sign-in routes answered HTML at least once.
    const htmlRoutes = httpRoutes
      .filter(
        (route) => /^(console|sso\/)/.test(route.route) && route.route !== 'console/style.css',
      )
      .map((route) => route.name);
    expect(htmlRoutes.filter((name) => !html.has(name))).toEqual([]);
  });
});
