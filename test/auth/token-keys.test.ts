/**
 * The key cache: one per settings object, refetched on an unknown kid at most once per
 * cooldown (a flood of forged tokens costs the tenant one fetch), and a real rotation picked up.
 * Plus what the validated identity carries.
 */
import { describe, expect, it } from 'vitest';
import { createEntraKeySet, validateEntraToken } from '../../shared/auth/index.js';
import { isServiceError } from '../../shared/errors.js';
import { AVA, EVALS_GROUP, jwksFetches, tenantSettings, useSampleTenant } from './tenant.js';

const tenant = useSampleTenant();

async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isServiceError(error)) return error.code;
    throw error;
  }
  return 'accepted';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Tokens naming kids the tenant never published (cheap: no new key pair for each). */
function forgedTokens(count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      tenant.issueToken({ userId: AVA, kid: `unknown-kid-${index}-${Date.now()}` }),
    ),
  );
}

describe('the Entra key set', () => {
  it('is shared by everything that validates with the same settings', () => {
    const settings = tenantSettings(tenant);
    expect(createEntraKeySet(settings)).toBe(createEntraKeySet(settings));
    expect(createEntraKeySet(settings)).not.toBe(createEntraKeySet(tenantSettings(tenant)));
    expect(createEntraKeySet(settings).jwksUrl).toBe(
      `${tenant.authorityHost}/${tenant.tenantId}/discovery/v2.0/keys`,
    );
  });

  it('fetches the keys once for a flood of 50 tokens with unknown kids', async () => {
    const settings = tenantSettings(tenant);
    const forged = await forgedTokens(50);
    const before = jwksFetches(tenant);
    const codes = await Promise.all(
      forged.map((token) => rejectionCode(validateEntraToken(token, { settings, kind: 'any' }))),
    );
    for (const token of forged) {
      codes.push(await rejectionCode(validateEntraToken(token, { settings, kind: 'any' })));
    }
    expect(new Set(codes)).toEqual(new Set(['token_signature']));
    expect(jwksFetches(tenant) - before).toBe(1);
  });

  it('refetches at most once per cooldown, however many unknown kids arrive', async () => {
    const settings = tenantSettings(tenant);
    const keySet = createEntraKeySet(settings, { cooldownMs: 300 });
    const forged = await forgedTokens(20);
    const before = jwksFetches(tenant);
    const flood = () =>
      Promise.all(
        forged.map((token) =>
          rejectionCode(validateEntraToken(token, { settings, keySet, kind: 'any' })),
        ),
      );
    await flood();
    await flood();
    expect(jwksFetches(tenant) - before).toBe(1);
    await sleep(350);
    await flood();
    await flood();
    expect(jwksFetches(tenant) - before).toBe(2);
  });

  it('accepts a token signed with a newly rotated key once the cooldown allows a refetch', async () => {
    const settings = tenantSettings(tenant);
    const cooldownMs = 1500;
    const keySet = createEntraKeySet(settings, { cooldownMs });
    const before = await tenant.issueToken({ userId: AVA });
    const fetchedAt = Date.now();
    expect(await rejectionCode(validateEntraToken(before, { settings, keySet, kind: 'any' }))).toBe(
      'accepted',
    );
    await tenant.rotateSigningKey();
    const after = await tenant.issueToken({ userId: AVA });
    // Within the cooldown the new kid is unknown and no fetch is made for it.
    expect(await rejectionCode(validateEntraToken(after, { settings, keySet, kind: 'any' }))).toBe(
      'token_signature',
    );
    expect(Date.now() - fetchedAt).toBeLessThan(cooldownMs);
    await sleep(fetchedAt + cooldownMs + 50 - Date.now());
    expect(await rejectionCode(validateEntraToken(after, { settings, keySet, kind: 'any' }))).toBe(
      'accepted',
    );
  });

  it('refuses a token signed with a key the tenant rotated out', async () => {
    const old = await tenant.issueToken({ userId: AVA });
    await tenant.rotateSigningKey();
    const settings = tenantSettings(tenant);
    expect(await rejectionCode(validateEntraToken(old, { settings, kind: 'any' }))).toBe(
      'token_signature',
    );
  });

  it('answers keys_unavailable when the key endpoint fails', async () => {
    const settings = tenantSettings(tenant);
    const id = tenant.faults.inject({ pathPattern: '/discovery/v2.0/keys', status: 503 });
    const token = await tenant.issueToken({ userId: AVA });
    expect(await rejectionCode(validateEntraToken(token, { settings, kind: 'any' }))).toBe(
      'keys_unavailable',
    );
    tenant.faults.remove(id);
  });
});

describe('the Entra key set while its endpoint fails', () => {
  it('fetches at most once per backoff for 200 forged tokens, then recovers', async () => {
    const settings = tenantSettings(tenant);
    const keySet = createEntraKeySet(settings, { failureBackoffMs: 400 });
    const id = tenant.faults.inject({ pathPattern: '/discovery/v2.0/keys', status: 503 });
    try {
      const forged = await forgedTokens(200);
      const before = jwksFetches(tenant);
      const validate = (token: string) =>
        rejectionCode(validateEntraToken(token, { settings, keySet, kind: 'any' }));
      const codes = await Promise.all(forged.slice(0, 150).map(validate));
      for (const token of forged.slice(150)) codes.push(await validate(token));
      expect(new Set(codes)).toEqual(new Set(['keys_unavailable']));
      expect(jwksFetches(tenant) - before).toBe(1);
    } finally {
      tenant.faults.remove(id);
    }
    await sleep(450);
    const good = await tenant.issueToken({ userId: AVA });
    expect(await rejectionCode(validateEntraToken(good, { settings, keySet, kind: 'any' }))).toBe(
      'accepted',
    );
  });
});

describe('a validated token', () => {
  it('names the user by oid and the tenant by tid, with the profile claims', async () => {
    const settings = tenantSettings(tenant);
    const validated = await validateEntraToken(
      await tenant.issueToken({ userId: AVA, nonce: 'n-1' }),
      { settings, kind: 'id_token', expectedNonce: 'n-1' },
    );
    expect(validated.version).toBe('2.0');
    expect(validated.issuer).toBe(`${tenant.authorityHost}/${tenant.tenantId}/v2.0`);
    expect(validated.audience).toBe(tenant.clientId);
    expect(validated.identity).toMatchObject({ userId: AVA, tenantId: tenant.tenantId });
  });

  it('is an ID token only when its audience is the client id', async () => {
    const settings = tenantSettings(tenant);
    const v1 = await tenant.issueToken({ userId: AVA, version: 1 });
    expect(await rejectionCode(validateEntraToken(v1, { settings, kind: 'id_token' }))).toBe(
      'token_audience',
    );
    const validated = await validateEntraToken(v1, { settings, kind: 'access_token' });
    expect(validated).toMatchObject({
      version: '1.0',
      issuer: `https://sts.windows.net/${tenant.tenantId}/`,
      audience: `api://${tenant.clientId}`,
    });
  });

  it('uses an injected clock with 60 s of skew', async () => {
    const settings = tenantSettings(tenant);
    const token = await tenant.issueToken({ userId: AVA, expiresInSeconds: 600 });
    const at = (offsetSeconds: number) => () => new Date(Date.now() + offsetSeconds * 1000);
    const check = (offset: number) =>
      rejectionCode(validateEntraToken(token, { settings, kind: 'any', clock: at(offset) }));
    expect(await check(630)).toBe('accepted');
    expect(await check(700)).toBe('token_expired');
    expect(await check(-30)).toBe('accepted');
    expect(await check(-120)).toBe('token_not_yet_valid');
  });

  it('carries the groups claim only when it is complete and declared authoritative', async () => {
    const token = await tenant.issueToken({ userId: AVA, includeGroups: [EVALS_GROUP] });
    const plain = await validateEntraToken(token, {
      settings: tenantSettings(tenant),
      kind: 'any',
    });
    expect(plain.identity.groupsClaim).toBeUndefined();

    const authoritative = tenantSettings(tenant, { GROUPS_CLAIM_AUTHORITATIVE: 'true' });
    const trusted = await validateEntraToken(token, { settings: authoritative, kind: 'any' });
    expect(trusted.identity.groupsClaim).toEqual([EVALS_GROUP]);

    const many = Array.from(
      { length: 201 },
      (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    );
    const overage = await tenant.issueToken({ userId: AVA, includeGroups: many });
    const validated = await validateEntraToken(overage, { settings: authoritative, kind: 'any' });
    expect(validated.claims._claim_names).toBeDefined();
    expect(validated.identity.groupsClaim).toBeUndefined();
  });
});
