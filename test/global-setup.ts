/**
 * Runs once before vitest forks its workers: starts one in-memory Azurite for the whole run
 * (each test file isolates itself with its own TABLE_PREFIX) and exports its address to the
 * workers through the environment, which forks inherit.
 */
import { startAzurite, type RunningAzurite } from '../dev/azurite.js';

let azurite: RunningAzurite | undefined;

export async function setup(): Promise<void> {
  azurite = await startAzurite();
  process.env.TEST_AZURITE_CONNECTION_STRING = azurite.connectionString;
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
