/**
 * Every reason a bearer token is refused, through the real POST /api/sync/me handler; and the
 * tokens it accepts. The sync itself is replaced by a recorder: these tests are about who is
 * signed in, the sign-in tests about what the sync then writes.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { syncMe } from '../../functions/sync-me.js';
import type { Settings } from '../../shared/config/settings.js';
import { createServices, useServices } from '../../shared/services.js';
import type { SignedInIdentity } from '../../shared/sync/identity.js';
import { syncSignedInUser } from '../../shared/sync/sign-in.js';
import { invoke, type InvokeResult } from '../support/invoke.js';
import { AVA, BEN, tenantSettings, useSampleTenant } from './tenant.js';

vi.mock('../../shared/sync/sign-in.js', () => ({
  syncSignedInUser: vi.fn((_services: unknown, identity: SignedInIdentity) =>
    Promise.resolve({
      user: { userId: identity.userId },
      teams: [],
      changes: { teamsCreated: [], membershipsAdded: [], membershipsRemoved: [] },
    }),
  ),
}));

const synced = vi.mocked(syncSignedInUser);
const tenant = useSampleTenant();
let settings: Settings;

beforeAll(() => {
  settings = tenantSettings(tenant);
});
beforeEach(() => {
  useServices(createServices(settings));
  synced.mockClear();
});
afterEach(() => {
  useServices(undefined);
});

function callSyncMe(authorization: string | undefined, body?: unknown): Promise<InvokeResult> {
  return invoke(syncMe, {
    method: 'POST',
    path: 'sync/me',
    headers: authorization === undefined ? {} : { authorization },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectRejected(
  token: string,
  code: string,
  options: { authorization?: string; body?: unknown; message?: RegExp } = {},
): Promise<InvokeResult> {
  const response = await callSyncMe(options.authorization ?? `Bearer ${token}`, options.body);
  expect(response.status).toBe(401);
  expect(response.json).toMatchObject({ error: code, message: expect.any(String) as string });
  if (options.message !== undefined) {
    expect((response.json as { message: string }).message).toMatch(options.message);
  }
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer realm="mishikallm-entra-sync"/);
  if (code === 'token_missing') expect(challenge).not.toContain('error="invalid_token"');
  else expect(challenge).toContain('error="invalid_token"');
  if (token !== '') {
    for (const line of response.logs) expect(line).not.toContain(token);
    expect(response.text).not.toContain(token);
    // Not even the signature part: a token is never echoed, whole or in part.
    const signature = token.split('.')[2] ?? '';
    if (signature.length > 10) expect(response.text + challenge).not.toContain(signature);
  }
  expect(response.logs.join('\n')).toContain(code);
  expect(synced).not.toHaveBeenCalled();
  return response;
}

function tampered(token: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
  return `${header}.${payload}.${flipped}`;
}

describe('POST /api/sync/me refuses', () => {
  it('an expired token (past the 60 s clock skew)', async () => {
    const token = await tenant.issueToken({ userId: AVA, expiresInSeconds: -120 });
    await expectRejected(token, 'token_expired', { message: /expired at .*skew allowed 60 s/ });
  });

  it('a token that is not valid yet', async () => {
    const token = await tenant.issueToken({ userId: AVA, notBeforeOffsetSeconds: 600 });
    await expectRejected(token, 'token_not_yet_valid', { message: /not valid yet until/ });
  });

  it('a token for another audience', async () => {
    const token = await tenant.issueToken({ userId: AVA, audience: 'api://some-other-app' });
    await expectRejected(token, 'token_audience', { message: /'api:\/\/some-other-app'/ });
  });

  it('a token from another issuer', async () => {
    const token = await tenant.issueToken({
      userId: AVA,
      issuer: `https://login.microsoftonline.com/${tenant.tenantId}/v2.0`,
    });
    await expectRejected(token, 'token_issuer', { message: /is not https:\/\/127\.0\.0\.1:/ });
  });

  it('a v1 token with the v2 issuer', async () => {
    const token = await tenant.issueToken({
      userId: AVA,
      version: 1,
      issuer: `${tenant.authorityHost}/${tenant.tenantId}/v2.0`,
    });
    await expectRejected(token, 'token_issuer', { message: /https:\/\/sts\.windows\.net\// });
  });

  it('a token from another tenant', async () => {
    const token = await tenant.issueToken({
      userId: AVA,
      tenantId: '0b5e4a8c-1f2d-4c3b-9a8e-7d6c5b4a3f21',
    });
    await expectRejected(token, 'token_tenant', { message: /0b5e4a8c-.* not in the configured/ });
  });

  it('a token whose signature does not verify', async () => {
    const token = tampered(await tenant.issueToken({ userId: AVA }));
    await expectRejected(token, 'token_signature', { message: /signature does not verify/ });
  });

  it('a token signed with a key the tenant does not publish', async () => {
    const token = await tenant.issueToken({ userId: AVA, signWithUnknownKey: true });
    await expectRejected(token, 'token_signature', { message: /does not publish/ });
  });

  it('an HS256 token (signed with the client secret)', async () => {
    const token = await tenant.issueToken({ userId: AVA, algorithm: 'HS256' });
    await expectRejected(token, 'token_algorithm', { message: /'HS256'; only RS256/ });
  });

  it('an unsigned (alg none) token', async () => {
    const token = await tenant.issueToken({ userId: AVA, algorithm: 'none' });
    await expectRejected(token, 'token_algorithm', { message: /'none'/ });
  });

  it('an RS384 token', async () => {
    const token = await tenant.issueToken({ userId: AVA, algorithm: 'RS384' });
    await expectRejected(token, 'token_algorithm');
  });

  it('malformed tokens', async () => {
    await expectRejected('not-a-jwt', 'token_malformed', { message: /not a JWT/ });
    await expectRejected('abc.def.ghi', 'token_malformed', { message: /header/ });
    await expectRejected('', 'token_malformed', {
      authorization: 'Bearer a b',
      message: /not a token/,
    });
  });

  it('a token without oid', async () => {
    const token = await tenant.issueToken({ userId: AVA, omit: ['oid'] });
    await expectRejected(token, 'token_claim_missing', { message: /"oid"/ });
  });

  it('a token without tid', async () => {
    const token = await tenant.issueToken({ userId: AVA, omit: ['tid'] });
    await expectRejected(token, 'token_claim_missing', { message: /"tid"/ });
  });

  it('a token whose nonce is not the one the caller expects', async () => {
    const token = await tenant.issueToken({ userId: AVA, nonce: 'nonce-sent-by-someone-else' });
    await expectRejected(token, 'token_nonce', { body: { nonce: 'nonce-the-proxy-sent' } });
    const noNonce = await tenant.issueToken({ userId: AVA });
    await expectRejected(noNonce, 'token_nonce', { body: { nonce: 'nonce-the-proxy-sent' } });
  });

  it('an app-only token for this app (no signed-in user)', async () => {
    const response = await fetch(`${tenant.authorityHost}/${tenant.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: tenant.clientId,
        client_secret: tenant.clientSecret,
        scope: `api://${tenant.clientId}/.default`,
      }),
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    await expectRejected(token, 'token_claim_missing', { message: /app-only/ });
  });

  it('a request without an Authorization header', async () => {
    const response = await callSyncMe(undefined);
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'token_missing' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(response.headers.get('www-authenticate')).not.toContain('invalid_token');
  });

  it('another authorization scheme', async () => {
    const token = await tenant.issueToken({ userId: AVA });
    await expectRejected(token, 'token_missing', {
      authorization: `Basic ${Buffer.from('user:password').toString('base64')}`,
      message: /"Basic" scheme/,
    });
    await expectRejected(token, 'token_missing', { authorization: 'Bearer' });
  });
});

describe('POST /api/sync/me accepts', () => {
  async function expectAccepted(token: string): Promise<SignedInIdentity> {
    const response = await callSyncMe(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      user: expect.any(Object) as object,
      teams: [],
      changes: {},
    });
    for (const line of response.logs) expect(line).not.toContain(token);
    expect(synced).toHaveBeenCalledTimes(1);
    const identity = synced.mock.calls[0]?.[1];
    if (identity === undefined) throw new Error('the sync was not called');
    return identity;
  }

  it('a v2 token (ID token or access token with the client id as audience)', async () => {
    const identity = await expectAccepted(await tenant.issueToken({ userId: AVA }));
    expect(identity).toEqual({
      userId: AVA,
      tenantId: tenant.tenantId,
      name: 'Ava Patel',
      preferredUsername: expect.stringMatching(/^ava/i) as string,
      email: expect.stringMatching(/@/) as string,
      groupsClaim: undefined,
      // The sample tenant's claim: the evals group's role and Ava's own.
      roles: ['internal_user', 'proxy_admin'],
    });
  });

  it('a v1 access token (the app id URI as audience, sts.windows.net issuer)', async () => {
    const identity = await expectAccepted(await tenant.issueToken({ userId: BEN, version: 1 }));
    expect(identity).toMatchObject({ userId: BEN, tenantId: tenant.tenantId });
    expect(identity.preferredUsername).toMatch(/@/);
  });

  it('a v2 access token whose audience is the app id URI', async () => {
    const token = await tenant.issueToken({
      userId: AVA,
      audience: tenant.appIdUri,
      scopes: 'access_as_user',
    });
    expect((await expectAccepted(token)).userId).toBe(AVA);
  });

  it('a token that expired within the 60 s clock skew', async () => {
    const token = await tenant.issueToken({ userId: AVA, expiresInSeconds: -30 });
    expect((await expectAccepted(token)).userId).toBe(AVA);
  });

  it('a token with the nonce the caller expects', async () => {
    const token = await tenant.issueToken({ userId: AVA, nonce: 'nonce-the-proxy-sent' });
    const response = await callSyncMe(`Bearer ${token}`, { nonce: 'nonce-the-proxy-sent' });
    expect(response.status).toBe(200);
  });
});

describe('POST /api/sync/me without a reachable key set', () => {
  it('answers 503 keys_unavailable, not 401', async () => {
    const token = await tenant.issueToken({ userId: AVA });
    useServices(
      createServices(tenantSettings(tenant, { ENTRA_AUTHORITY_HOST: 'https://127.0.0.1:9' })),
    );
    const response = await callSyncMe(`Bearer ${token}`);
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ error: 'keys_unavailable' });
    expect(response.headers.get('www-authenticate')).toBeNull();
    for (const line of response.logs) expect(line).not.toContain(token);
  });
});
