/**
 * The certificate credential at the token endpoint: a client assertion (RFC 7523) checked the
 * way Entra checks it (learn.microsoft.com/entra/identity-platform/certificate-credentials):
 * RS256 or PS256, signed by a certificate registered on the app and named by its `x5t` (SHA-1)
 * or `x5t#S256` thumbprint, `aud` the token endpoint, `iss` = `sub` = the client id, inside its
 * `nbf`..`exp` window. Like Entra, a `jti` may be reused while the assertion is valid (MSAL
 * reuses one assertion for up to ten minutes).
 */
import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors, type ProtectedHeaderParameters } from 'jose';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ALGORITHMS = ['RS256', 'PS256'];
const CLOCK_SKEW_SECONDS = 60;

/** Why an assertion was refused: an AADSTS number and Entra's wording, for `invalid_client`. */
export interface AssertionRejection {
  readonly code: number;
  readonly message: string;
}

export interface AssertionCheck {
  readonly assertion: string;
  /** The `client_id` of the request. */
  readonly clientId: string;
  /** PEM certificates registered on the app. */
  readonly certificates: readonly string[];
  /** The URLs `aud` may hold: this tenant's token endpoint (by tenant id or domain). */
  readonly audiences: readonly string[];
  readonly now: Date;
}

interface RegisteredCertificate {
  readonly x509: X509Certificate;
  readonly sha1: string;
  readonly sha256: string;
}

function registered(pem: string): RegisteredCertificate {
  const x509 = new X509Certificate(pem);
  const hex = (fingerprint: string): string =>
    Buffer.from(fingerprint.replaceAll(':', ''), 'hex').toString('base64url');
  return { x509, sha1: hex(x509.fingerprint), sha256: hex(x509.fingerprint256) };
}

function thumbprintHex(base64url: string): string {
  return Buffer.from(base64url, 'base64url').toString('hex').toUpperCase();
}

function keyNotFound(header: ProtectedHeaderParameters, clientId: string): AssertionRejection {
  const named = header['x5t#S256'] ?? header.x5t;
  const used = typeof named === 'string' ? thumbprintHex(named) : '(none: no x5t or x5t#S256)';
  return {
    code: 700027,
    message: `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
  };
}

function findCertificate(
  header: ProtectedHeaderParameters,
  certificates: readonly string[],
): RegisteredCertificate | undefined {
  const sha256 = header['x5t#S256'];
  const sha1 = header.x5t;
  return certificates
    .map(registered)
    .find((c) => (typeof sha256 === 'string' ? c.sha256 === sha256 : c.sha1 === sha1));
}

interface AssertionClaims {
  aud?: unknown;
  iss?: unknown;
  sub?: unknown;
  exp?: unknown;
  nbf?: unknown;
}

function timeRange(claims: AssertionClaims, now: Date): AssertionRejection | undefined {
  const seconds = Math.floor(now.getTime() / 1000);
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
  if (
    exp !== undefined &&
    exp > seconds - CLOCK_SKEW_SECONDS &&
    nbf <= seconds + CLOCK_SKEW_SECONDS
  )
    return undefined;
  const iso = (s: number): string => new Date(s * 1000).toISOString();
  return {
    code: 700024,
    message: `Client assertion is not within its valid time range. Current time: ${now.toISOString()}, assertion valid from ${iso(nbf)}, expiry time of assertion ${exp === undefined ? '(none)' : iso(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
  };
}

function claimsProblem(
  claims: AssertionClaims,
  check: AssertionCheck,
): AssertionRejection | undefined {
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const expected = check.audiences.map((a) => a.toLowerCase());
  if (!audiences.some((a) => typeof a === 'string' && expected.includes(a.toLowerCase()))) {
    return {
      code: 700023,
      message:
        'Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .',
    };
  }
  const clientId = check.clientId.toLowerCase();
  const names = (value: unknown): boolean =>
    typeof value === 'string' && value.toLowerCase() === clientId;
  if (!names(claims.iss) || !names(claims.sub)) {
    return {
      code: 700021,
      message: "Client assertion application identifier doesn't match 'client_id' parameter.",
    };
  }
  return timeRange(claims, check.now);
}

/** `undefined` when the assertion authenticates the client, else Entra's reason. */
export async function checkClientAssertion(
  check: AssertionCheck,
): Promise<AssertionRejection | undefined> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(check.assertion);
  } catch {
    return { code: 50027, message: 'JWT token is invalid or malformed.' };
  }
  if (header.alg === undefined || !ALGORITHMS.includes(header.alg)) {
    return {
      code: 5002738,
      message: `Invalid JWT token. '${header.alg ?? 'none'}' is not a supported signature algorithm. Supported signing algorithms are: '${ALGORITHMS.join(', ')}'.`,
    };
  }
  const certificate = findCertificate(header, check.certificates);
  if (certificate === undefined) return keyNotFound(header, check.clientId);
  if (new Date(certificate.x509.validTo).getTime() < check.now.getTime()) {
    return {
      code: 700027,
      message: `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${thumbprintHex(certificate.sha1)}', Found key 'Start=${new Date(certificate.x509.validFrom).toISOString()}, End=${new Date(certificate.x509.validTo).toISOString()}'.]`,
    };
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(check.assertion, certificate.x509.publicKey, {
      algorithms: ALGORITHMS,
    }));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return { code: 700027, message: 'Client assertion failed signature validation.' };
    }
    return { code: 50027, message: 'JWT token is invalid or malformed.' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    claims = undefined;
  }
  if (typeof claims !== 'object' || claims === null) {
    return { code: 50027, message: 'JWT token is invalid or malformed.' };
  }
  return claimsProblem(claims, check);
}
