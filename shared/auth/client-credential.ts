/**
 * The credential that redeems sign-in codes: the certificate of ENTRA_CLIENT_CERTIFICATE_PATH
 * when it is set (preferred where secrets are not allowed), else ENTRA_CLIENT_SECRET, in the
 * shape MSAL's ConfidentialClientApplication takes.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';

/** MSAL's `clientCertificate`: the SHA-256 thumbprint names the certificate as `x5t#S256`. */
export interface ClientCertificate {
  readonly thumbprintSha256: string;
  /** PKCS#8 PEM. */
  readonly privateKey: string;
  /** The certificate (chain) as PEM, sent as `x5c` so that Entra can match it by subject too. */
  readonly x5c: string;
}

export type ClientCredential =
  { readonly clientSecret: string } | { readonly clientCertificate: ClientCertificate };

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK =
  /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;

function unusable(path: string, expected: string, cause?: unknown): SyncServiceError {
  return new SyncServiceError(
    'config_invalid',
    `ENTRA_CLIENT_CERTIFICATE_PATH = "${path}": expected ${expected}.`,
    { cause },
  );
}

/** Reads a PEM file holding the unencrypted private key and the certificate (as @azure/identity takes it). */
export function readClientCertificate(path: string): ClientCertificate {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw unusable(path, `a readable PEM file (${reason})`, cause);
  }
  const certificates = pem.match(CERTIFICATE_BLOCK) ?? [];
  const keyBlock = KEY_BLOCK.exec(pem)?.[0];
  const [leaf] = certificates;
  if (leaf === undefined || keyBlock === undefined) {
    throw unusable(path, 'a PEM file with both the certificate and its unencrypted private key');
  }
  try {
    const certificate = new X509Certificate(leaf);
    const privateKey = createPrivateKey(keyBlock);
    if (!certificate.checkPrivateKey(privateKey)) {
      throw unusable(path, 'the private key of the certificate in the same file');
    }
    return {
      thumbprintSha256: certificate.fingerprint256.replaceAll(':', ''),
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      x5c: certificates.join('\n'),
    };
  } catch (cause) {
    if (cause instanceof SyncServiceError) throw cause;
    throw unusable(path, 'a PEM certificate and an RSA private key that Node.js can read', cause);
  }
}

export function clientCredentialFor(settings: Settings): ClientCredential {
  const { clientCertificatePath, clientSecret } = settings.entra;
  if (clientCertificatePath !== undefined) {
    return { clientCertificate: readClientCertificate(clientCertificatePath) };
  }
  if (clientSecret !== undefined) return { clientSecret };
  throw new SyncServiceError(
    'config_invalid',
    'The sign-in flow redeems codes as a confidential client: set ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERTIFICATE_PATH.',
  );
}
