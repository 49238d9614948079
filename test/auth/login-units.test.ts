/** The login flow's pieces that need no tenant: configuration, redirects, the client assertion. */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthError,
  ClientAssertion,
  CryptoProvider,
  InteractionRequiredAuthError,
  ServerError,
} from '@azure/msal-node';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDevCertificate } from '../../dev/tenant/certificate.js';
import { ssoLogin } from '../../functions/sso-login.js';
import {
  isAllowedRedirect,
  loginPathReturningTo,
  readClientCertificate,
  tokenEndpoint,
} from '../../shared/auth/index.js';
import { redemptionError } from '../../shared/auth/redemption-errors.js';
import { createServices, useServices } from '../../shared/services.js';
import { invoke } from '../support/invoke.js';
import { testSettings, TEST_CLIENT_ID } from '../support/services.js';

afterEach(() => {
  useServices(undefined);
});

describe('GET /api/sso/login without SESSION_SECRET', () => {
  it('answers a clear configuration page, not a redirect', async () => {
    useServices(createServices(testSettings()));
    const response = await invoke(ssoLogin, { path: 'sso/login' });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.text).toContain('config_invalid');
    expect(response.text).toContain('SESSION_SECRET is not set');
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('post-login redirects', () => {
  const settings = testSettings({
    ALLOWED_REDIRECT_ORIGINS: 'https://proxy.example.com, https://ui.example.com:8443',
    POST_LOGIN_REDIRECT_URL: 'https://portal.example.com/welcome',
  });

  it.each([
    ['/', true],
    ['/ui/teams?x=1#top', true],
    ['https://proxy.example.com/ui', true],
    ['https://ui.example.com:8443/', true],
    ['https://portal.example.com/other', true],
    ['//evil.example', false],
    ['/\\evil.example', false],
    ['/ok\\..\\', false],
    ['\t/evil.example', false],
    ['https://ui.example.com/', false],
    ['https://proxy.example.com@evil.example/', false],
    ['https://evil.example/?https://proxy.example.com', false],
    ['javascript:alert(1)', false],
    ['data:text/html,hi', false],
    ['ui/teams', false],
    ['', false],
  ])('%s → %s', (target, allowed) => {
    expect(isAllowedRedirect(target, settings)).toBe(allowed);
  });
});

describe('the certificate client assertion', () => {
  // MSAL signs it (ConfidentialClientApplication builds this same ClientAssertion from our
  // clientCertificate); this checks that what we hand MSAL makes the assertion Entra wants.
  it('is a PS256 JWT for the token endpoint, issued by the client id, naming the cert by x5t#S256', async () => {
    const { certPath, keyPath } = await ensureDevCertificate();
    const directory = mkdtempSync(join(tmpdir(), 'client-cert-'));
    const pemPath = join(directory, 'client.pem');
    writeFileSync(pemPath, `${readFileSync(keyPath, 'utf8')}\n${readFileSync(certPath, 'utf8')}`);
    const settings = testSettings({ ENTRA_CLIENT_CERTIFICATE_PATH: pemPath });
    const credential = readClientCertificate(pemPath);
    const assertion = ClientAssertion.fromCertificateWithSha256Thumbprint(
      credential.thumbprintSha256,
      credential.privateKey,
      credential.x5c,
    ).getJwt(new CryptoProvider(), TEST_CLIENT_ID, tokenEndpoint(settings));
    const now = new Date();

    const certificate = new X509Certificate(readFileSync(certPath));
    const header = decodeProtectedHeader(assertion);
    expect(header).toMatchObject({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url'),
      x5c: [certificate.raw.toString('base64')],
    });
    const { payload } = await jwtVerify(assertion, certificate.publicKey, {
      audience: tokenEndpoint(settings),
      issuer: TEST_CLIENT_ID,
      subject: TEST_CLIENT_ID,
      currentDate: now,
      // MSAL rounds the time to the nearest second: nbf may lie up to half a second ahead.
      clockTolerance: 1,
    });
    expect(payload.jti).toEqual(expect.any(String));
    // exp and nbf come from one clock reading in MSAL; jsonwebtoken adds iat from another.
    expect((payload.exp ?? 0) - (payload.nbf ?? 0)).toBe(600);
    expect(Math.abs((payload.iat ?? 0) - (payload.nbf ?? 0))).toBeLessThanOrEqual(1);
  });

  it('names the setting when the file holds no private key', () => {
    const directory = mkdtempSync(join(tmpdir(), 'client-cert-'));
    const pemPath = join(directory, 'only-cert.pem');
    writeFileSync(pemPath, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(() => readClientCertificate(pemPath)).toThrow(/ENTRA_CLIENT_CERTIFICATE_PATH/);
  });
});

describe('the "Sign in again" link', () => {
  it('returns to an allowed page, and drops one that is not allowed (any more)', () => {
    const settings = testSettings({ ALLOWED_REDIRECT_ORIGINS: 'https://proxy.example.com' });
    expect(loginPathReturningTo('https://proxy.example.com/ui?a=1&b=2', settings)).toBe(
      '/api/sso/login?redirect=https%3A%2F%2Fproxy.example.com%2Fui%3Fa%3D1%26b%3D2',
    );
    expect(loginPathReturningTo('https://evil.example/', settings)).toBe('/api/sso/login');
    expect(loginPathReturningTo(undefined, settings)).toBe('/api/sso/login');
  });
});

describe('MSAL failures as coded errors', () => {
  const endpoint = 'https://login.example/tenant/oauth2/v2.0/token';

  it('answers invalid_grant (a stale or replayed code) as login_code_invalid, keeping the OAuth code', () => {
    const refusal = new InteractionRequiredAuthError(
      'invalid_grant',
      'correlation',
      'AADSTS54005: OAuth2 Authorization code was already redeemed. Trace ID: 1234',
      undefined,
      '',
      '',
      '',
      54005 as unknown as string,
    );
    const error = redemptionError(refusal, endpoint);
    expect(error).toMatchObject({ code: 'login_code_invalid', upstreamCode: 'invalid_grant' });
    expect(error.message).toBe(
      'This sign-in link has expired or was already used (invalid_grant, AADSTS54005). Sign in again.',
    );
    expect(error.cause).toBe(refusal);

    const other = redemptionError(new ServerError('invalid_client', 'c', 'secret text'), endpoint);
    expect(other).toMatchObject({ code: 'login_failed', upstreamCode: 'invalid_client' });
    expect(other.message).not.toContain('secret text');
  });

  it('says the endpoint could not be reached, without an upstream code, on a network error', () => {
    const error = redemptionError(new AuthError('network_error', 'ECONNREFUSED'), endpoint);
    expect(error).toMatchObject({ code: 'login_failed', upstreamCode: undefined });
    expect(error.message).toContain(endpoint);
    expect(error.message).not.toContain('ECONNREFUSED');
  });

  it('turns a nonce mismatch into token_nonce', () => {
    expect(redemptionError(new AuthError('nonce_mismatch', ''), endpoint).code).toBe('token_nonce');
  });
});
