/**
 * What a token must be beyond a valid signature from the tenant: Entra's own header, a
 * lifetime Entra could have issued, one audience, and (for an access token) a client app this
 * service trusts. Signed here with a local key, so each case is exactly one deviation from an
 * Entra-shaped token; every rejection is a 401 code.
 */
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
  type JWTHeaderParameters,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorResponse, jsonResponse, statusFor } from '../../functions/http.js';
import type { EntraKeySet } from '../../shared/auth/keys.js';
import { validateEntraToken } from '../../shared/auth/token.js';
import type { Settings } from '../../shared/config/settings.js';
import { isServiceError, SyncServiceError } from '../../shared/errors.js';
import { TEST_CLIENT_ID, TEST_TENANT_ID, testSettings } from '../support/services.js';

const KID = 'local-test-key';
const OTHER_APP = '99999999-8888-4777-8666-555555555555';
let privateKey: CryptoKey;
let keySet: EntraKeySet;
let settings: Settings;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  keySet = Object.assign(createLocalJWKSet({ keys: [jwk] }), { jwksUrl: 'local' });
  settings = testSettings();
});

function entraClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: TEST_CLIENT_ID,
    iss: `https://login.microsoftonline.com/${TEST_TENANT_ID}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    oid: '9322bf07-ba8c-4b26-8cd8-2c8cb33fef8b',
    sub: 'pairwise-subject',
    tid: TEST_TENANT_ID,
    ver: '2.0',
    name: 'Ava Patel',
    ...overrides,
  };
}

function sign(claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID, ...header })
    .sign(privateKey);
}

/** Signs without jose's checks, for headers jose itself refuses to produce. */
async function signRaw(header: Record<string, unknown>, claims: JWTPayload): Promise<string> {
  const encode = (part: unknown) => base64url.encode(JSON.stringify(part));
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

async function outcome(token: string, options: { settings?: Settings } = {}): Promise<string> {
  try {
    await validateEntraToken(token, {
      settings: options.settings ?? settings,
      keySet,
      kind: 'any',
    });
    return 'accepted';
  } catch (error) {
    if (!isServiceError(error)) throw error;
    expect(statusFor(error.code), error.code).toBe(401);
    expect(error.message).not.toContain(token);
    return error.code;
  }
}

describe('a token signed by the tenant is still refused when', () => {
  it('its typ is not JWT', async () => {
    expect(await outcome(await sign(entraClaims(), { typ: 'at+jwt' }))).toBe('token_malformed');
    expect(await outcome(await sign(entraClaims(), { typ: 'JWE' }))).toBe('token_malformed');
  });

  it('it marks a header parameter critical (known to jose or not)', async () => {
    const header = { alg: 'RS256', typ: 'JWT', kid: KID, crit: ['x-custom'], 'x-custom': 1 };
    const unknown = await signRaw(header, entraClaims());
    expect(
      await outcome(await signRaw({ alg: 'RS256', typ: 'JWT', kid: KID }, entraClaims())),
    ).toBe('accepted');
    expect(await outcome(unknown)).toBe('token_malformed');
    const b64 = await new SignJWT(entraClaims())
      .setProtectedHeader({ alg: 'RS256', kid: KID, crit: ['b64'], b64: true })
      .sign(privateKey);
    expect(await outcome(b64)).toBe('token_malformed');
  });

  it('it claims to last longer than Entra issues tokens for (a 10-year exp)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await outcome(await sign(entraClaims({ exp: now + 10 * 365 * 86_400 })))).toBe(
      'token_lifetime',
    );
    // Issued long ago with a far expiry: the span counts, not only what is left.
    expect(
      await outcome(await sign(entraClaims({ iat: now - 3 * 86_400, nbf: now - 3 * 86_400 }))),
    ).toBe('token_lifetime');
  });

  it('it has no iat', async () => {
    const claims = entraClaims();
    delete claims.iat;
    expect(await outcome(await sign(claims))).toBe('token_claim_missing');
  });

  it('its audience is a list, even one that includes this app', async () => {
    expect(await outcome(await sign(entraClaims({ aud: [TEST_CLIENT_ID, OTHER_APP] })))).toBe(
      'token_audience',
    );
    expect(await outcome(await sign(entraClaims({ aud: [] })))).toBe('token_audience');
  });

  it('it is an access token another client app asked for (azp, appid)', async () => {
    expect(
      await outcome(await sign(entraClaims({ azp: OTHER_APP, scp: 'user_impersonation' }))),
    ).toBe('token_client');
    expect(
      await outcome(
        await sign(
          entraClaims({
            ver: '1.0',
            iss: `https://sts.windows.net/${TEST_TENANT_ID}/`,
            aud: `api://${TEST_CLIENT_ID}`,
            appid: OTHER_APP,
            scp: 'user_impersonation',
          }),
        ),
      ),
    ).toBe('token_client');
  });

  it('it carries jku, x5u or an embedded jwk pointing at another key: they are never used', async () => {
    const attacker = await generateKeyPair('RS256');
    const jwk = await exportJWK(attacker.publicKey);
    const forged = await new SignJWT(entraClaims())
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        kid: KID,
        jku: 'https://attacker.example/keys',
        x5u: 'https://attacker.example/cert',
        jwk,
      })
      .sign(attacker.privateKey);
    expect(await outcome(forged)).toBe('token_signature');
  });

  it('it is a 1 MB token', async () => {
    const huge = await sign(entraClaims({ padding: base64url.encode(new Uint8Array(768 * 1024)) }));
    expect(huge.length).toBeGreaterThan(1_000_000);
    expect(await outcome(huge)).toBe('token_malformed');
  });
});

describe('a token signed by the tenant is accepted when', () => {
  it('it is shaped as Entra issues it (typ JWT, one audience, an hour)', async () => {
    expect(await outcome(await sign(entraClaims()))).toBe('accepted');
    expect(await outcome(await signRaw({ alg: 'RS256', kid: KID }, entraClaims()))).toBe(
      'accepted',
    );
  });

  it('it lives for the longest lifetime a policy allows (one day)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await outcome(await sign(entraClaims({ exp: now + 86_400 })))).toBe('accepted');
  });

  it('it is an access token this app, or a client listed in ALLOWED_CLIENT_APP_IDS, asked for', async () => {
    const own = await sign(entraClaims({ azp: TEST_CLIENT_ID, scp: 'access_as_user' }));
    expect(await outcome(own)).toBe('accepted');
    const other = await sign(entraClaims({ azp: OTHER_APP, scp: 'access_as_user' }));
    const trusting = testSettings({ ALLOWED_CLIENT_APP_IDS: ` ${OTHER_APP.toUpperCase()} ` });
    expect(await outcome(other, { settings: trusting })).toBe('accepted');
  });
});

describe('a JSON answer', () => {
  it('tells browsers not to sniff it as something else (nosniff), success or error', () => {
    for (const response of [
      jsonResponse(200, { ok: true }),
      errorResponse(new SyncServiceError('token_expired', 'The token expired.')),
      errorResponse(new Error('internal detail')),
    ]) {
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
      });
    }
  });
});
