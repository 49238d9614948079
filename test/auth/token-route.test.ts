/**
 * The token suite of issue 14, through the real POST /api/sync/me (the real sync behind it)
 * and the login callback, with the simulated tenant's real signing keys. It covers what
 * sync-me.test.ts (expiry, audience, issuer, tenant, v1/v2, alg none, HS256 with the client
 * secret, missing oid, nonce) and token-hardening.test.ts (each header and claim rule, with a
 * local key) do not: forgeries built from the tenant's own public key and tokens, tokens Entra
 * really issues for something else, floods of unknown kids, and key rotation. Every refusal is a
 * 401 with its code; the key set is counted, never slept for (the clock is faked).
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { CompactEncrypt, decodeJwt, generateKeyPair, SignJWT, exportJWK, type JWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ssoCallback } from '../../functions/sso-callback.js';
import { syncMe } from '../../functions/sync-me.js';
import { beginLogin, LOGIN_COOKIE_NAME } from '../../shared/auth/index.js';
import type { Settings } from '../../shared/config/settings.js';
import { CONSOLE_SESSION_COOKIE_NAME } from '../../shared/console/index.js';
import { createServices, useServices } from '../../shared/services.js';
import { invoke, type InvokeResult } from '../support/invoke.js';
import { pickUser } from './login-steps.js';
import { AVA, BEN, jwksFetches, tenantSettings, useSampleTenant } from './tenant.js';

const tenant = useSampleTenant();

afterEach(() => {
  vi.useRealTimers();
  tenant.faults.clear();
  useServices(undefined);
});

/** Fresh settings, so a fresh key cache, served by the real handlers. */
function serve(): Settings {
  const settings = tenantSettings(tenant);
  useServices(createServices(settings));
  return settings;
}

function callSyncMe(token: string): Promise<InvokeResult> {
  return invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: { authorization: `Bearer ${token}` },
  });
}

async function expectRefused(token: string, code: string): Promise<void> {
  const response = await callSyncMe(token);
  expect(response.status, response.text).toBe(401);
  expect(response.json).toMatchObject({ error: code });
  expect(response.text).not.toContain(token.slice(-40));
  for (const line of response.logs) expect(line).not.toContain(token.slice(-40));
}

async function expectAccepted(token: string): Promise<void> {
  const response = await callSyncMe(token);
  expect(response.status, response.text).toBe(200);
  expect(response.json).toMatchObject({ user: { userId: AVA } });
}

const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');

/** The payload of a token the tenant really issued for Ava (so every claim is right). */
async function realClaims(): Promise<Record<string, unknown>> {
  return decodeJwt(await tenant.issueToken({ userId: AVA }));
}

async function tenantJwks(): Promise<JWK[]> {
  const response = await fetch(`${tenant.authorityHost}/${tenant.tenantId}/discovery/v2.0/keys`);
  return ((await response.json()) as { keys: JWK[] }).keys;
}

function advanceClock(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + ms);
}

describe('POST /api/sync/me refuses a forgery made from what the tenant publishes', () => {
  it('an HS256 token whose HMAC key is the tenant RSA public key (PEM and JWK)', async () => {
    serve();
    const [jwk] = await tenantJwks();
    if (jwk === undefined) throw new Error('the tenant publishes no key');
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    for (const secret of [String(pem), JSON.stringify(jwk)]) {
      const forged = await new SignJWT(await realClaims())
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: jwk.kid ?? '' })
        .sign(new TextEncoder().encode(secret));
      await expectRefused(forged, 'token_algorithm');
    }
  });

  it('a real token whose payload was changed to another user (signature kept)', async () => {
    serve();
    const [header = '', , signature = ''] = (await tenant.issueToken({ userId: AVA })).split('.');
    const forged = `${header}.${encode({ ...(await realClaims()), oid: BEN })}.${signature}`;
    await expectRefused(forged, 'token_signature');
  });

  it('a token signed by another key that names the tenant kid and brings its own jku, x5u and jwk', async () => {
    serve();
    let attackerFetches = 0;
    const attackerHost: Server = createServer((_request, response) => {
      attackerFetches += 1;
      response.end('{}');
    });
    await new Promise<void>((resolve) => attackerHost.listen(0, '127.0.0.1', resolve));
    const { port } = attackerHost.address() as AddressInfo;
    try {
      const attacker = await generateKeyPair('RS256');
      const [published] = await tenantJwks();
      const forged = await new SignJWT(await realClaims())
        .setProtectedHeader({
          alg: 'RS256',
          typ: 'JWT',
          kid: published?.kid ?? '',
          jku: `http://127.0.0.1:${port}/keys`,
          x5u: `http://127.0.0.1:${port}/cert`,
          jwk: await exportJWK(attacker.publicKey),
        })
        .sign(attacker.privateKey);
      await expectRefused(forged, 'token_signature');
      expect(attackerFetches).toBe(0);
    } finally {
      await new Promise((resolve) => attackerHost.close(resolve));
    }
  });
});

describe('POST /api/sync/me refuses a token signed with the tenant real key when', () => {
  it('it marks a header parameter critical', async () => {
    serve();
    const token = await tenant.issueToken({
      userId: AVA,
      header: { crit: ['x-ms-custom'], 'x-ms-custom': true },
    });
    await expectRefused(token, 'token_malformed');
  });

  it('it claims a lifetime of ten years', async () => {
    serve();
    const token = await tenant.issueToken({ userId: AVA, expiresInSeconds: 10 * 365 * 86_400 });
    await expectRefused(token, 'token_lifetime');
  });

  it('its header is not base64url JSON', async () => {
    serve();
    const [, payload = '', signature = ''] = (await tenant.issueToken({ userId: AVA })).split('.');
    for (const header of ['eyJ+bGciOiJSUzI1NiJ9', encode('RS256').slice(0, -1), 'AAAA']) {
      await expectRefused(`${header}.${payload}.${signature}`, 'token_malformed');
    }
  });

  it('it is over 1 MB', async () => {
    serve();
    const token = await tenant.issueToken({
      userId: AVA,
      claims: { padding: randomBytes(768 * 1024).toString('base64url') },
    });
    expect(token.length).toBeGreaterThan(1_000_000);
    await expectRefused(token, 'token_malformed');
  });
});

describe('POST /api/sync/me refuses what Entra issues for something else', () => {
  it('a JWE (encrypted to the tenant key, five parts)', async () => {
    serve();
    const [jwk] = await tenantJwks();
    const key = createPublicKey({ key: jwk ?? {}, format: 'jwk' });
    const jwe = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify(await realClaims())),
    )
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk?.kid ?? '' })
      .encrypt(key);
    expect(jwe.split('.')).toHaveLength(5);
    await expectRefused(jwe, 'token_malformed');
  });

  it("a Graph access token from a real code redemption (aud = Graph's app id)", async () => {
    serve();
    const { accessToken } = await redeemDirectly(AVA);
    expect(decodeJwt(accessToken).aud).toBe('00000003-0000-0000-c000-000000000000');
    await expectRefused(accessToken, 'token_audience');
  });
});

/** Code flow straight against the tenant (as another client of it would): its token answer. */
async function redeemDirectly(userId: string): Promise<{ idToken: string; accessToken: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://localhost:4000/sso/callback';
  const authorize = new URL(`${tenant.authorityHost}/${tenant.tenantId}/oauth2/v2.0/authorize`);
  authorize.search = new URLSearchParams({
    client_id: tenant.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email User.Read',
    state: 'direct',
    nonce: 'nonce-of-another-sign-in',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const answer = await pickUser(tenant, authorize, userId);
  const response = await fetch(`${tenant.authorityHost}/${tenant.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: tenant.clientId,
      client_secret: tenant.clientSecret,
      code: answer.searchParams.get('code') ?? '',
      code_verifier: verifier,
      redirect_uri: redirectUri,
    }),
  });
  const body = (await response.json()) as { id_token: string; access_token: string };
  return { idToken: body.id_token, accessToken: body.access_token };
}

describe('the login callback', () => {
  it('never takes an ID token from the request: one replayed in the query or a form is refused', async () => {
    const settings = serve();
    const { idToken } = await redeemDirectly(AVA);
    const start = await beginLogin({
      settings,
      requestUrl: 'http://localhost:7071/api/sso/login',
      forwardedProto: null,
      redirect: undefined,
      now: new Date(),
    });
    const state = new URL(start.location).searchParams.get('state') ?? '';
    const cookie = `${LOGIN_COOKIE_NAME}=${start.cookie.value}`;
    const replays = [
      { method: 'GET', query: { id_token: idToken, state } },
      { method: 'POST', body: new URLSearchParams({ id_token: idToken, state }).toString() },
    ];
    for (const replay of replays) {
      const response = await invoke(ssoCallback, {
        path: 'sso/callback',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        ...replay,
      });
      expect(response.status, replay.method).toBe(400);
      expect(response.text).toContain('<code id="error-code">login_code_invalid</code>');
      expect(response.text).not.toContain(idToken.slice(-40));
      expect(response.headers.getSetCookie().join('\n')).not.toContain(
        `${CONSOLE_SESSION_COOKIE_NAME}=e`,
      );
    }
    // And the same ID token replayed to /api/sync/me by a caller that names its own nonce.
    const response = await invoke(syncMe, {
      method: 'POST',
      path: 'sync/me',
      headers: { authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ nonce: 'nonce-of-this-sign-in' }),
    });
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'token_nonce' });
  });
});

describe('a flood of tokens naming kids the tenant never published', () => {
  function forged(count: number): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, (_, index) =>
        tenant.issueToken({ userId: AVA, kid: `flood-${index}-${randomBytes(4).toString('hex')}` }),
      ),
    );
  }

  async function flood(tokens: string[]): Promise<Set<string>> {
    const answers = await Promise.all(tokens.slice(0, 50).map(callSyncMe));
    for (const token of tokens.slice(50)) answers.push(await callSyncMe(token));
    return new Set(
      answers.map(
        (answer) => `${answer.status} ${(answer.json as { error?: string }).error ?? ''}`,
      ),
    );
  }

  it('costs at most one key fetch, and every one is a 401 (endpoint healthy)', async () => {
    serve();
    const tokens = await forged(100);
    await expectAccepted(await tenant.issueToken({ userId: AVA }));
    const before = jwksFetches(tenant);
    expect(await flood(tokens)).toEqual(new Set(['401 token_signature']));
    expect(jwksFetches(tenant) - before).toBe(0);
    advanceClock(61_000);
    expect(await flood(tokens)).toEqual(new Set(['401 token_signature']));
    expect(jwksFetches(tenant) - before).toBe(1);
  });

  it('costs at most one key fetch while the endpoint fails, stays 401, and real tokens still pass', async () => {
    serve();
    const tokens = await forged(100);
    await expectAccepted(await tenant.issueToken({ userId: AVA }));
    advanceClock(61_000);
    tenant.faults.inject({ pathPattern: '/discovery/v2.0/keys', status: 503 });
    const before = jwksFetches(tenant);
    expect(await flood(tokens)).toEqual(new Set(['401 token_signature']));
    expect(jwksFetches(tenant) - before).toBe(1);
    // The keys fetched before the outage still verify the tenant's real tokens.
    await expectAccepted(await tenant.issueToken({ userId: AVA }));
    // Past the cache's hour the endpoint is asked again (once per backoff), and the last keys
    // it gave still serve while it fails.
    advanceClock(61 * 60_000);
    await expectAccepted(await tenant.issueToken({ userId: AVA }));
    expect(await flood(tokens)).toEqual(new Set(['401 token_signature']));
    expect(jwksFetches(tenant) - before).toBe(2);
  });

  it('answers 503 keys_unavailable, one fetch, when no key was ever fetched (cold start, endpoint down)', async () => {
    serve();
    const tokens = await forged(100);
    tenant.faults.inject({ pathPattern: '/discovery/v2.0/keys', status: 503 });
    const before = jwksFetches(tenant);
    expect(await flood(tokens)).toEqual(new Set(['503 keys_unavailable']));
    expect(jwksFetches(tenant) - before).toBe(1);
  });
});

describe('key rotation, through the route', () => {
  it('takes the new key once the cooldown allows a refetch, and drops the removed one', async () => {
    serve();
    const old = await tenant.issueToken({ userId: AVA });
    await expectAccepted(old);
    await tenant.rotateSigningKey();
    const rotated = await tenant.issueToken({ userId: AVA });
    // Within a minute of the last fetch an unknown kid fetches nothing.
    await expectRefused(rotated, 'token_signature');
    advanceClock(61_000);
    const before = jwksFetches(tenant);
    await expectAccepted(rotated);
    await expectRefused(old, 'token_signature');
    expect(jwksFetches(tenant) - before).toBe(1);
  });

  it('stops trusting a removed key within the cache hour even if no new kid asks for a refetch', async () => {
    serve();
    // Issued for six hours, so that it is still current when the cache hour has passed.
    const old = await tenant.issueToken({ userId: AVA, expiresInSeconds: 6 * 3600 });
    await expectAccepted(old);
    await tenant.rotateSigningKey();
    // Cached: the old key is still trusted for up to an hour after the fetch.
    await expectAccepted(old);
    advanceClock(61 * 60_000);
    await expectRefused(old, 'token_signature');
  });
});
