import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { startSimulatedTenant, type SimulatedTenant } from '../../dev/tenant/server.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE, credentialFor } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);
const REDIRECT = 'http://localhost:7071/api/sso/callback';

function jwks(s: SimulatedTenant): ReturnType<typeof createRemoteJWKSet> {
  return createRemoteJWKSet(new URL(`${s.authorityHost}/${s.tenantId}/discovery/v2.0/keys`));
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

interface TokenErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
}

/** Runs the authorize step as a browser would, picking `userId` on the sign-in page. */
async function authorize(
  s: SimulatedTenant,
  params: Record<string, string>,
  userId: string,
): Promise<URL> {
  const url = new URL(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  const link = new RegExp(`href="([^"]+)" data-user-id="${userId}"`).exec(html)?.[1];
  if (!link) throw new Error(`user ${userId} not on the sign-in page`);
  const res = await fetch(new URL(link.replace(/&amp;/g, '&'), s.baseUrl), { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

async function redeem(s: SimulatedTenant, fields: Record<string, string>): Promise<Response> {
  return fetch(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: s.clientId,
      client_secret: s.clientSecret,
      redirect_uri: REDIRECT,
      ...fields,
    }),
  });
}

describe('OIDC discovery and keys', () => {
  it('publishes Entra-shaped discovery with the baseUrl issuer and endpoints', async () => {
    const s = sim;
    const res = await fetch(
      `${s.authorityHost}/${s.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: `${s.baseUrl}/${s.tenantId}/v2.0`,
      jwks_uri: `${s.baseUrl}/${s.tenantId}/discovery/v2.0/keys`,
      authorization_endpoint: `${s.baseUrl}/${s.tenantId}/oauth2/v2.0/authorize`,
      token_endpoint: `${s.baseUrl}/${s.tenantId}/oauth2/v2.0/token`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const unknown = await fetch(
      `${s.authorityHost}/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration`,
    );
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as TokenErrorBody).error_codes).toEqual([90002]);
  });

  it('lets @azure/identity ClientSecretCredential get a Graph token, and rejects a wrong secret', async () => {
    const s = sim;
    const token = await credentialFor(s).getToken(`${s.graphEndpoint}/.default`);
    expect(token.token.split('.')).toHaveLength(3);
    expect(decodeJwt(token.token)).toMatchObject({
      aud: 'https://graph.microsoft.com',
      tid: s.tenantId,
      appid: s.clientId,
      idtyp: 'app',
    });
    const bad = await fetch(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: s.clientId,
        client_secret: 'wrong-secret',
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    expect(bad.status).toBe(401);
    const body = (await bad.json()) as TokenErrorBody;
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/^AADSTS7000215: /);
    expect(body.error_codes).toEqual([7000215]);
    const badScope = await fetch(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: s.clientId,
        client_secret: s.clientSecret,
        scope: 'User.Read',
      }),
    });
    expect(((await badScope.json()) as TokenErrorBody).error).toBe('invalid_scope');
  });
});

describe('tokens issued by the tenant', () => {
  it('validates with jose against the JWKS (v2 shape: iss, aud, tid, oid, preferred_username, groups)', async () => {
    const s = sim;
    const token = await s.issueToken({ userId: S.chen, nonce: 'n-1' });
    const { payload, protectedHeader } = await jwtVerify(token, jwks(s), {
      issuer: `${s.authorityHost}/${s.tenantId}/v2.0`,
      audience: s.clientId,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      tid: s.tenantId,
      oid: S.chen,
      preferred_username: 'chen.wei@mishikallm.onmicrosoft.com',
      email: 'chen.wei@mishikallm.onmicrosoft.com',
      name: 'Chen Wei',
      ver: '2.0',
      nonce: 'n-1',
    });
    expect(typeof payload.sub).toBe('string');
    expect((payload.groups as string[]).sort()).toEqual(
      [S.contractors, S.allStaff, S.evals].sort(),
    );
  });

  it('issues v1 tokens with the sts.windows.net issuer and the app id URI audience', async () => {
    const s = sim;
    const token = await s.issueToken({ userId: S.ava, version: 1 });
    const { payload } = await jwtVerify(token, jwks(s), {
      issuer: `https://sts.windows.net/${s.tenantId}/`,
      audience: s.appIdUri,
    });
    expect(payload).toMatchObject({
      ver: '1.0',
      upn: 'ava.patel@mishikallm.onmicrosoft.com',
      oid: S.ava,
    });
  });

  it('rejects an expired token, one not yet valid, and one signed before a key rotation', async () => {
    const s = sim;
    const keys = jwks(s);
    const expired = await s.issueToken({ userId: S.ava, expiresInSeconds: -600 });
    await expect(jwtVerify(expired, keys, { audience: s.clientId })).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
    const future = await s.issueToken({ userId: S.ava, notBeforeOffsetSeconds: 3600 });
    await expect(jwtVerify(future, keys, { audience: s.clientId })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    });
    const stray = await s.issueToken({ userId: S.ava, signWithUnknownKey: true });
    await expect(jwtVerify(stray, jwks(s))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });

    const before = await s.issueToken({ userId: S.ava });
    await jwtVerify(before, jwks(s));
    const oldKid = decodeProtectedHeader(before).kid;
    const newKid = await s.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    const fresh = jwks(s);
    await expect(jwtVerify(before, fresh)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    const after = await s.issueToken({ userId: S.ava });
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    await jwtVerify(after, fresh);
  });

  it('uses the groups overage form past 200 groups, and honours omit/issuer/tenantId', async () => {
    const big = generateTenant({
      seed: 'overage',
      users: 20,
      groups: 260,
      assignedGroups: 10,
      membershipsPerGroup: 2,
      powerUserGroups: 250,
      m365Fraction: 0,
    });
    const s = await startSimulatedTenant({ tenant: big });
    try {
      const userId = big.users[0]?.id ?? '';
      const claims = decodeJwt(await s.issueToken({ userId }));
      expect(claims.groups).toBeUndefined();
      expect(claims._claim_names).toEqual({ groups: 'src1' });
      expect((claims._claim_sources as { src1: { endpoint: string } }).src1.endpoint).toContain(
        `/users/${userId}/getMemberObjects`,
      );
      const explicit = decodeJwt(
        await s.issueToken({
          userId,
          includeGroups: ['a', 'b'],
          omit: ['email', 'preferred_username'],
          tenantId: '11111111-1111-4111-8111-111111111111',
        }),
      );
      expect(explicit.groups).toEqual(['a', 'b']);
      expect(explicit).not.toHaveProperty('email');
      expect(explicit).not.toHaveProperty('preferred_username');
      expect(explicit.iss).toBe(`${s.authorityHost}/11111111-1111-4111-8111-111111111111/v2.0`);
    } finally {
      await s.stop();
    }
  });
});

describe('authorization code flow with PKCE', () => {
  it('signs a user in and redeems the code once; the ID token carries the nonce', async () => {
    const s = sim;
    const { verifier, challenge } = pkce();
    const back = await authorize(
      s,
      {
        client_id: s.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid profile email',
        state: 'st-1',
        nonce: 'nonce-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      S.ben,
    );
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    const wrong = await redeem(s, { code, code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    const wrongBody = (await wrong.json()) as TokenErrorBody;
    expect(wrongBody.error).toBe('invalid_grant');
    expect(wrongBody.error_codes).toEqual([501481]);

    const ok = await redeem(s, { code, code_verifier: verifier });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as {
      id_token: string;
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);
    const { payload } = await jwtVerify(tokens.id_token, jwks(s), {
      issuer: `${s.authorityHost}/${s.tenantId}/v2.0`,
      audience: s.clientId,
    });
    expect(payload).toMatchObject({ oid: S.ben, nonce: 'nonce-1', tid: s.tenantId });

    const again = await redeem(s, { code, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(((await again.json()) as TokenErrorBody).error_codes).toEqual([54005]);
  });

  it('rejects a redirect_uri mismatch at the token endpoint and a wrong client secret', async () => {
    const s = sim;
    const { verifier, challenge } = pkce();
    const back = await authorize(
      s,
      {
        client_id: s.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      S.ava,
    );
    const code = back.searchParams.get('code') ?? '';
    const mismatch = await redeem(s, {
      code,
      code_verifier: verifier,
      redirect_uri: 'http://localhost:9999/other',
    });
    expect(((await mismatch.json()) as TokenErrorBody).error).toBe('invalid_grant');
    const secret = await redeem(s, {
      code,
      code_verifier: verifier,
      client_secret: 'nope-nope-nope',
    });
    expect(secret.status).toBe(401);
    const ok = await redeem(s, { code, code_verifier: verifier });
    expect(ok.status).toBe(200);
  });

  it('answers invalid_grant for an expired code (AADSTS70008) and a redirect_uri mismatch (AADSTS500112)', async () => {
    const s = sim;
    const signIn = async () => {
      const { verifier, challenge } = pkce();
      const back = await authorize(
        s,
        {
          client_id: s.clientId,
          response_type: 'code',
          redirect_uri: REDIRECT,
          scope: 'openid',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        },
        S.ben,
      );
      return { code: back.searchParams.get('code') ?? '', code_verifier: verifier };
    };
    const late = await signIn();
    // Only Date is faked: the server's sockets and timers keep real time.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 11 * 60 * 1000 });
    try {
      const expired = await redeem(s, late);
      expect(expired.status).toBe(400);
      expect(await expired.json()).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
    } finally {
      vi.useRealTimers();
    }
    const elsewhere = await redeem(s, {
      ...(await signIn()),
      redirect_uri: 'https://127.0.0.1:1/api/sso/callback',
    });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({
      error: 'invalid_grant',
      error_codes: [500112],
    });
  });

  it('sends errors back to the redirect URI like Entra (bad response_type, plain PKCE, cancel)', async () => {
    const s = sim;
    const base = { client_id: s.clientId, redirect_uri: REDIRECT, scope: 'openid', state: 'st-x' };
    const call = async (p: Record<string, string>): Promise<URL> => {
      const url = new URL(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize`);
      for (const [k, v] of Object.entries(p)) url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      return new URL(res.headers.get('location') ?? '');
    };
    const token = await call({
      ...base,
      response_type: 'token',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    expect(token.searchParams.get('error')).toBe('unsupported_response_type');
    expect(token.searchParams.get('state')).toBe('st-x');
    const plain = await call({
      ...base,
      response_type: 'code',
      code_challenge: pkce().challenge,
      code_challenge_method: 'plain',
    });
    expect(plain.searchParams.get('error')).toBe('invalid_request');
    expect(plain.searchParams.get('error_description')).toMatch(/^AADSTS\d+: /);

    const page = await fetch(
      `${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ ...base, response_type: 'code', code_challenge: pkce().challenge, code_challenge_method: 'S256' }).toString()}`,
    );
    const cancel = /href="([^"]+\/authorize\/cancel[^"]*)"/.exec(await page.text())?.[1] ?? '';
    const res = await fetch(new URL(cancel.replace(/&amp;/g, '&'), s.baseUrl), {
      redirect: 'manual',
    });
    const cancelled = new URL(res.headers.get('location') ?? '');
    expect(cancelled.searchParams.get('error')).toBe('access_denied');
    expect(cancelled.searchParams.get('state')).toBe('st-x');

    const badClient = await fetch(
      `${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ ...base, client_id: '00000000-0000-0000-0000-000000000009', response_type: 'code' }).toString()}`,
      { redirect: 'manual' },
    );
    expect(badClient.status).toBe(400);
    expect(await badClient.text()).toContain('AADSTS700016');
    const badRedirect = await fetch(
      `${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ ...base, redirect_uri: 'https://evil.example/cb', response_type: 'code' }).toString()}`,
      { redirect: 'manual' },
    );
    expect(badRedirect.status).toBe(400);
    expect(await badRedirect.text()).toContain('AADSTS50011');
  });

  it('supports response_mode=form_post (an auto-posting form)', async () => {
    const s = sim;
    const { challenge } = pkce();
    const url = new URL(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize`);
    for (const [k, v] of Object.entries({
      client_id: s.clientId,
      response_type: 'code',
      response_mode: 'form_post',
      redirect_uri: REDIRECT,
      scope: 'openid',
      state: 'fp',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(k, v);
    }
    const html = await (await fetch(url)).text();
    const link = new RegExp(`href="([^"]+)" data-user-id="${S.elif}"`).exec(html)?.[1] ?? '';
    const res = await fetch(new URL(link.replace(/&amp;/g, '&'), s.baseUrl), {
      redirect: 'manual',
    });
    expect(res.status).toBe(200);
    const form = await res.text();
    expect(form).toContain(`action="${REDIRECT}"`);
    expect(form).toMatch(/name="code" value="[^"]+"/);
    expect(form).toContain('name="state" value="fp"');
    expect(form).toContain('document.forms[0].submit()');
  });

  it('lists enabled users only on the sign-in page', async () => {
    const s = sim;
    const url = new URL(`${s.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize`);
    for (const [k, v] of Object.entries({
      client_id: s.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(k, v);
    }
    const html = await (await fetch(url)).text();
    expect(html).toContain('Ava Patel');
    expect(html).toContain('ava.patel@mishikallm.onmicrosoft.com');
    expect(html).not.toContain('Farah Haddad');
  });
});
