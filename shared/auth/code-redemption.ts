/**
 * Redeems an authorization code at the tenant's token endpoint as a confidential client:
 * with a client certificate (a signed client assertion) when ENTRA_CLIENT_CERTIFICATE_PATH is
 * set, else with the client secret; always with the PKCE verifier.
 */
import {
  createHash,
  createPrivateKey,
  randomUUID,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';

export const TOKEN_ENDPOINT_TIMEOUT_MS = 10_000;
const ASSERTION_LIFETIME_SECONDS = 10 * 60;
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function tokenEndpoint(settings: Settings): string {
  return `${settings.entra.authorityHost}/${settings.entra.tenantId}/oauth2/v2.0/token`;
}

interface ClientCertificate {
  readonly privateKey: KeyObject;
  /** SHA-1 thumbprint, base64url: the `x5t` Entra looks the certificate up by. */
  readonly x5t: string;
}

const certificates = new Map<string, ClientCertificate>();

/** Reads a PEM file holding the private key and the certificate (as @azure/identity takes it). */
export function readClientCertificate(path: string): ClientCertificate {
  const cached = certificates.get(path);
  if (cached !== undefined) return cached;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SyncServiceError(
      'config_invalid',
      `ENTRA_CLIENT_CERTIFICATE_PATH = "${path}": expected a readable PEM file (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'}).`,
    );
  }
  const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(
    pem,
  )?.[0];
  const keyBlock =
    /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(
      pem,
    )?.[0];
  if (certificateBlock === undefined || keyBlock === undefined) {
    throw new SyncServiceError(
      'config_invalid',
      `ENTRA_CLIENT_CERTIFICATE_PATH = "${path}": expected a PEM file with both the certificate and its unencrypted private key.`,
    );
  }
  const certificate = new X509Certificate(certificateBlock);
  const loaded: ClientCertificate = {
    privateKey: createPrivateKey(keyBlock),
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
  };
  certificates.set(path, loaded);
  return loaded;
}

/** A client assertion (RFC 7523) for the token endpoint, signed with the app's certificate. */
export async function clientAssertion(
  settings: Settings,
  certificate: ClientCertificate,
  now: Date,
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t: certificate.x5t })
    .setIssuer(settings.entra.clientId)
    .setSubject(settings.entra.clientId)
    .setAudience(tokenEndpoint(settings))
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
    .sign(certificate.privateKey);
}

async function clientCredentialFields(
  settings: Settings,
  now: Date,
): Promise<Record<string, string>> {
  const { clientCertificatePath, clientSecret } = settings.entra;
  if (clientCertificatePath !== undefined) {
    const assertion = await clientAssertion(
      settings,
      readClientCertificate(clientCertificatePath),
      now,
    );
    return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
  }
  if (clientSecret !== undefined) return { client_secret: clientSecret };
  throw new SyncServiceError(
    'config_invalid',
    'The sign-in flow redeems codes as a confidential client: set ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERTIFICATE_PATH.',
  );
}

const tokenResponseSchema = z.object({ id_token: z.string().min(1) });
const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

export interface CodeRedemption {
  readonly settings: Settings;
  readonly code: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly now: Date;
  readonly fetch?: typeof fetch;
}

/** The first line of Entra's error description (the AADSTS code and its text, not the trace). */
function entraSays(description: string | undefined): string {
  const first = (description ?? '').split(/\r?\n|\s+Trace ID:/)[0]?.trim() ?? '';
  return first.length > 300 ? `${first.slice(0, 297)}...` : first;
}

/** Returns the ID token. Every failure is `login_failed` naming what the tenant said. */
export async function redeemAuthorizationCode(redemption: CodeRedemption): Promise<string> {
  const { settings } = redemption;
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: settings.entra.clientId,
    code: redemption.code,
    redirect_uri: redemption.redirectUri,
    code_verifier: redemption.codeVerifier,
    scope: 'openid profile email',
    ...(await clientCredentialFields(settings, redemption.now)),
  });
  const endpoint = tokenEndpoint(settings);
  let response: Response;
  try {
    response = await (redemption.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(TOKEN_ENDPOINT_TIMEOUT_MS),
    });
  } catch (cause) {
    throw new SyncServiceError(
      'login_failed',
      `The tenant's token endpoint ${endpoint} could not be reached: ${cause instanceof Error ? cause.message : String(cause)}.`,
      { cause },
    );
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const failure = tokenErrorSchema.safeParse(json);
    const said = failure.success
      ? `${failure.data.error}${failure.data.error_description === undefined ? '' : `: ${entraSays(failure.data.error_description)}`}`
      : `HTTP ${response.status}`;
    throw new SyncServiceError(
      'login_failed',
      `The tenant refused to redeem the sign-in code (${said}).`,
    );
  }
  const tokens = tokenResponseSchema.safeParse(json);
  if (!tokens.success) {
    throw new SyncServiceError(
      'login_failed',
      'The tenant redeemed the sign-in code but returned no ID token (was the openid scope granted?).',
    );
  }
  return tokens.data.id_token;
}
