/**
 * Runs once before vitest forks its workers: starts one in-memory Azurite for the whole run
 * (each test file isolates itself with its own TABLE_PREFIX), makes the simulated tenant's
 * certificate, and exports both to the workers through the environment, which forks inherit.
 * NODE_EXTRA_CA_CERTS must be in place when a Node.js process starts, which is why it is set
 * here and not in the tests.
 */
import { startAzurite, type RunningAzurite } from '../dev/azurite.js';
import { ensureDevCertificate, trustBundle } from '../dev/tenant/certificate.js';

let azurite: RunningAzurite | undefined;

export async function setup(): Promise<void> {
  const certificate = await ensureDevCertificate();
  process.env.NODE_EXTRA_CA_CERTS = trustBundle(certificate.caPath);
  azurite = await startAzurite();
  process.env.TEST_AZURITE_CONNECTION_STRING = azurite.connectionString;
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
