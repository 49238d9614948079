/**
 * Client certificates for the certificate credential: made with selfsigned for each test file,
 * written as the PEM (private key + certificate) ENTRA_CLIENT_CERTIFICATE_PATH points at, and
 * registered on a copy of the sample tenant's app.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { TenantData } from '../../dev/tenant/model.js';
import { SAMPLE } from './sample-tenant.js';

export interface ClientCertificateFiles {
  /** The certificate alone (what the app registration holds). */
  readonly certificate: string;
  readonly privateKey: string;
  /** A file with the private key and the certificate. */
  readonly pemPath: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function makeClientCertificate(
  options: { expired?: boolean } = {},
): Promise<ClientCertificateFiles> {
  const notBefore = new Date(Date.now() - (options.expired === true ? 30 : 1) * DAY_MS);
  const notAfter = new Date(notBefore.getTime() + (options.expired === true ? 2 : 30) * DAY_MS);
  const pems = await generate([{ name: 'commonName', value: 'MishikaLLM sign-in (test)' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
  });
  const pemPath = join(mkdtempSync(join(tmpdir(), 'client-cert-')), 'client.pem');
  writeFileSync(pemPath, `${pems.private}\n${pems.cert}`, { mode: 0o600 });
  return { certificate: pems.cert, privateKey: pems.private, pemPath };
}

/** dev/tenants/sample.json with these certificates registered on its app. */
export function sampleTenantWithCertificates(certificates: readonly string[]): TenantData {
  const data = JSON.parse(readFileSync(SAMPLE, 'utf8')) as TenantData;
  return { ...data, app: { ...data.app, certificates: [...certificates] } };
}
