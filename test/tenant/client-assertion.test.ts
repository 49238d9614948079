/**
 * The token endpoint's certificate credential: a client assertion is accepted only when Entra
 * would accept it, and each reason Entra refuses one answers `invalid_client` with its AADSTS
 * code. The assertions here are built by hand on purpose, to break them one way at a time.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import {
  makeClientCertificate,
  sampleTenantWithCertificates,
  type ClientCertificateFiles,
} from '../support/client-certificate.js';
import { startTenant } from '../support/sample-tenant.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let sim: SimulatedTenant;
let registered: ClientCertificateFiles;
let expired: ClientCertificateFiles;
let unregistered: ClientCertificateFiles;

beforeAll(async () => {
  [registered, expired, unregistered] = await Promise.all([
    makeClientCertificate(),
    makeClientCertificate({ expired: true }),
    makeClientCertificate(),
  ]);
  sim = await startTenant(
    sampleTenantWithCertificates([registered.certificate, expired.certificate]),
  );
});
afterAll(async () => {
  await sim.stop();
});

function tokenEndpoint(tenant = sim.tenantId): string {
  return `${sim.authorityHost}/${tenant}/oauth2/v2.0/token`;
}

function thumbprint(pem: string, algorithm: 'sha1' | 'sha256'): string {
  return createHash(algorithm).update(new X509Certificate(pem).raw).digest('base64url');
}

interface AssertionOptions {
  readonly alg?: 'PS256' | 'RS256';
  /** Which thumbprint header names the certificate; `none` sends neither. */
  readonly names?: 'x5t#S256' | 'x5t' | 'none';
  /** The certificate the header names (default: the registered one). */
  readonly namedCertificate?: string;
  /** The key that signs (default: the named certificate's). */
  readonly signingKey?: KeyObject;
  /** Claims to set; `undefined` leaves one out. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

async function assertion(options: AssertionOptions = {}): Promise<string> {
  const named = options.namedCertificate ?? registered.certificate;
  const key =
    options.signingKey ??
    createPrivateKey(
      [registered, expired, unregistered].find((c) => c.certificate === named)?.privateKey ?? '',
    );
  const alg = options.alg ?? 'PS256';
  const names = options.names ?? 'x5t#S256';
  const header = {
    alg,
    typ: 'JWT',
    ...(names === 'x5t#S256' ? { 'x5t#S256': thumbprint(named, 'sha256') } : {}),
    ...(names === 'x5t' ? { x5t: thumbprint(named, 'sha1') } : {}),
  };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud: tokenEndpoint(),
    iss: sim.clientId,
    sub: sim.clientId,
    jti: crypto.randomUUID(),
    nbf: now,
    exp: now + 600,
    ...options.claims,
  })
    .setProtectedHeader(header)
    .sign(key);
}

interface TokenAnswer {
  readonly status: number;
  readonly body: {
    access_token?: string;
    error?: string;
    error_description?: string;
    error_codes?: number[];
  };
}

async function clientCredentials(fields: Record<string, string>): Promise<TokenAnswer> {
  const response = await fetch(tokenEndpoint(), {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      scope: 'https://graph.microsoft.com/.default',
      ...fields,
    }),
  });
  return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
}

function withAssertion(value: string): Promise<TokenAnswer> {
  return clientCredentials({ client_assertion_type: ASSERTION_TYPE, client_assertion: value });
}

function expectRefused(answer: TokenAnswer, code: number, text: string): void {
  expect(answer.status).toBe(401);
  expect(answer.body.error).toBe('invalid_client');
  expect(answer.body.error_codes).toEqual([code]);
  expect(answer.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(answer.body.error_description).toContain(text);
}

describe('a client assertion the tenant accepts', () => {
  it('PS256 naming the registered certificate by x5t#S256 (as MSAL sends it)', async () => {
    const answer = await withAssertion(await assertion());
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.access_token).toEqual(expect.any(String));
  });

  it('RS256 naming it by its SHA-1 x5t', async () => {
    const answer = await withAssertion(await assertion({ alg: 'RS256', names: 'x5t' }));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });

  it('for the token endpoint addressed by the tenant domain, and reused within its lifetime', async () => {
    const value = await assertion({ claims: { aud: tokenEndpoint('mishikallm.onmicrosoft.com') } });
    expect((await withAssertion(value)).status).toBe(200);
    // Entra does not refuse a jti it has seen; MSAL reuses an assertion for ten minutes.
    expect((await withAssertion(value)).status).toBe(200);
  });

  it('keeps accepting the client secret', async () => {
    const answer = await clientCredentials({ client_secret: sim.clientSecret });
    expect(answer.status).toBe(200);
  });
});

describe('a client assertion the tenant refuses', () => {
  it('for another audience (AADSTS700023)', async () => {
    const value = await assertion({
      claims: { aud: `${sim.authorityHost}/common/oauth2/v2.0/token` },
    });
    expectRefused(await withAssertion(value), 700023, 'audience claim does not match');
  });

  it('issued by someone other than the client id (AADSTS700021)', async () => {
    const value = await assertion({ claims: { iss: '11111111-1111-4111-8111-111111111111' } });
    expectRefused(await withAssertion(value), 700021, "doesn't match 'client_id'");
  });

  it('whose subject is not the client id (AADSTS700021)', async () => {
    const value = await assertion({ claims: { sub: '11111111-1111-4111-8111-111111111111' } });
    expectRefused(await withAssertion(value), 700021, "doesn't match 'client_id'");
  });

  it('naming a certificate the app does not have (AADSTS700027)', async () => {
    const value = await assertion({ namedCertificate: unregistered.certificate });
    expectRefused(await withAssertion(value), 700027, 'The key was not found');
  });

  it('naming no certificate at all (AADSTS700027)', async () => {
    expectRefused(
      await withAssertion(await assertion({ names: 'none' })),
      700027,
      'The key was not found',
    );
  });

  it('naming the registered certificate but signed with another key (AADSTS700027)', async () => {
    const value = await assertion({ signingKey: createPrivateKey(unregistered.privateKey) });
    expectRefused(await withAssertion(value), 700027, 'failed signature validation');
  });

  it('signed with a registered certificate that has expired (AADSTS700027)', async () => {
    const value = await assertion({ namedCertificate: expired.certificate });
    expectRefused(await withAssertion(value), 700027, 'The key used is expired');
  });

  it('past its exp (AADSTS700024)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const value = await assertion({ claims: { nbf: now - 1200, exp: now - 600 } });
    expectRefused(await withAssertion(value), 700024, 'not within its valid time range');
  });

  it('without an exp (AADSTS700024)', async () => {
    const value = await assertion({ claims: { exp: undefined } });
    expectRefused(await withAssertion(value), 700024, 'not within its valid time range');
  });

  it('before its nbf (AADSTS700024)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const value = await assertion({ claims: { nbf: now + 600, exp: now + 1200 } });
    expectRefused(await withAssertion(value), 700024, 'not within its valid time range');
  });

  it('signed with an algorithm other than RS256 or PS256 (AADSTS5002738)', async () => {
    const value = await new SignJWT({ aud: tokenEndpoint(), iss: sim.clientId, sub: sim.clientId })
      .setProtectedHeader({
        alg: 'HS256',
        'x5t#S256': thumbprint(registered.certificate, 'sha256'),
      })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(sim.clientSecret));
    expectRefused(await withAssertion(value), 5002738, "'HS256' is not a supported signature");
  });

  it('that is not a JWT (AADSTS50027)', async () => {
    expectRefused(await withAssertion('not-a-jwt'), 50027, 'invalid or malformed');
  });

  it('of another assertion type, or sent with a client secret too (invalid_request)', async () => {
    const value = await assertion();
    const wrongType = await clientCredentials({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: value,
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toBe('invalid_request');
    const both = await clientCredentials({
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: value,
      client_secret: sim.clientSecret,
    });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
  });
});
