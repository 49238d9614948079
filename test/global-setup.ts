/**
 * Runs once before vitest forks its workers: starts one in-memory Azurite (tables and queues)
 * for the whole run (each test file isolates itself with its own TABLE_PREFIX and queues), makes the simulated tenant's
 * certificate, and exports both to the workers through the environment, which forks inherit.
 * NODE_EXTRA_CA_CERTS must be in place when a Node.js process starts, which is why it is set
 * here and not in the tests.
 */
import { startAzurite, type RunningAzurite } from '../dev/azurite.js';
import { startAzuriteQueue, type RunningAzuriteQueue } from '../dev/azurite-queue.js';
import { ensureDevCertificate, trustBundle } from '../dev/tenant/certificate.js';

let azurite: RunningAzurite | undefined;
let azuriteQueue: RunningAzuriteQueue | undefined;

export async function setup(): Promise<void> {
  const certificate = await ensureDevCertificate();
  process.env.NODE_EXTRA_CA_CERTS = trustBundle(certificate.caPath);
  azurite = await startAzurite();
  process.env.TEST_AZURITE_CONNECTION_STRING = azurite.connectionString;
  azuriteQueue = await startAzuriteQueue();
  process.env.TEST_AZURITE_QUEUE_CONNECTION_STRING = azuriteQueue.connectionString;
}

export async function teardown(): Promise<void> {
  await azuriteQueue?.stop();
  await azurite?.stop();
}
