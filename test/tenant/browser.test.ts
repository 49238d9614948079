import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, createRemoteJWKSet } from 'jose';
import type { Browser } from 'playwright-core';
import { launchChromium, skipBrowserTests } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
let browser: Browser | undefined;
let callbackServer: Server | undefined;
let callbackUrl = '';
const received: { method: string; params: URLSearchParams }[] = [];

beforeAll(async () => {
  // A stand-in for the service's /api/sso/callback: records what the browser brings back.
  callbackServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params =
        req.method === 'POST'
          ? new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
          : url.searchParams;
      if (url.pathname === '/api/sso/callback')
        received.push({ method: req.method ?? 'GET', params });
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<p id="done">signed in</p>');
    });
  });
  await new Promise<void>((r) => callbackServer?.listen(0, '127.0.0.1', r));
  callbackUrl = `http://localhost:${(callbackServer.address() as AddressInfo).port}/api/sso/callback`;
  if (!skipBrowserTests) browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => callbackServer?.close(r));
});

function authorizeUrl(
  s: SimulatedTenant,
  extra: Record<string, string>,
): { url: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize`);
  const params = {
    client_id: s.clientId,
    response_type: 'code',
    redirect_uri: callbackUrl,
    scope: 'openid profile email',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.toString(), verifier };
}

describe.skipIf(skipBrowserTests)('the sign-in page in a real browser', () => {
  it('lets a user be picked by name, redirects back with code and state, and the code redeems', async () => {
    const s = sim;
    const context = await browser?.newContext({ ignoreHTTPSErrors: true });
    if (!context) throw new Error('no browser');
    try {
      const page = await context.newPage();
      const { url, verifier } = authorizeUrl(s, { state: 'browser-state', nonce: 'browser-nonce' });
      await page.goto(url);
      expect(await page.getByRole('link', { name: /Ava Patel/ }).count()).toBe(1);
      expect(await page.locator('text=Farah Haddad').count()).toBe(0);
      await page.click('text=Ben Okafor');
      await page.waitForSelector('#done');
      const got = received.at(-1);
      expect(got?.method).toBe('GET');
      expect(got?.params.get('state')).toBe('browser-state');
      const code = got?.params.get('code') ?? '';
      const res = await fetch(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: s.clientId,
          client_secret: s.clientSecret,
          code,
          redirect_uri: callbackUrl,
          code_verifier: verifier,
        }),
      });
      const tokens = (await res.json()) as { id_token: string };
      const { payload } = await jwtVerify(
        tokens.id_token,
        createRemoteJWKSet(new URL(`${s.authorityHost}/${s.tenantId}/discovery/v2.0/keys`)),
        { audience: s.clientId },
      );
      expect(payload).toMatchObject({ oid: S.ben, nonce: 'browser-nonce', name: 'Ben Okafor' });
    } finally {
      await context.close();
    }
  });

  it('posts the code back with response_mode=form_post, and Cancel answers access_denied', async () => {
    const s = sim;
    const context = await browser?.newContext({ ignoreHTTPSErrors: true });
    if (!context) throw new Error('no browser');
    try {
      const page = await context.newPage();
      await page.goto(authorizeUrl(s, { response_mode: 'form_post', state: 'fp-state' }).url);
      await page.click('text=Elif Demir');
      await page.waitForSelector('#done');
      const posted = received.at(-1);
      expect(posted?.method).toBe('POST');
      expect(posted?.params.get('state')).toBe('fp-state');
      expect(posted?.params.get('code')).toBeTruthy();

      await page.goto(authorizeUrl(s, { state: 'cancel-state' }).url);
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForSelector('#done');
      const cancelled = received.at(-1);
      expect(cancelled?.params.get('error')).toBe('access_denied');
      expect(cancelled?.params.get('state')).toBe('cancel-state');
    } finally {
      await context.close();
    }
  });
});
