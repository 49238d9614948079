/**
 * Azurite's queue service, started in-process from node_modules (as dev/azurite.ts starts the
 * table service): the `group-sync` queue for the tests and the stand-in host's queue triggers.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { azuriteQueueConnectionString } from '../shared/queue/connection.js';
import { AZURITE_ACCOUNT } from '../shared/store/connection.js';

interface AzuriteQueueServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

const require = createRequire(import.meta.url);

export interface RunningAzuriteQueue {
  /** e.g. http://127.0.0.1:54321/devstoreaccount1 */
  readonly queueEndpoint: string;
  readonly connectionString: string;
  stop(): Promise<void>;
}

export interface AzuriteQueueOptions {
  /** 0 picks a free port; Azurite's usual one is 10001. */
  readonly port?: number;
  /** A folder to keep messages in across restarts; in memory when absent. */
  readonly location?: string;
}

export async function startAzuriteQueue(
  options: AzuriteQueueOptions = {},
): Promise<RunningAzuriteQueue> {
  const { default: QueueConfiguration } =
    require('azurite/dist/src/queue/QueueConfiguration.js') as {
      default: new (...args: unknown[]) => unknown;
    };
  const { default: QueueServer } = require('azurite/dist/src/queue/QueueServer.js') as {
    default: new (configuration: unknown) => AzuriteQueueServer;
  };
  const location = options.location;
  if (location !== undefined) mkdirSync(location, { recursive: true });
  const at = (file: string) => join(location ?? '.', file);
  const configuration = new QueueConfiguration(
    '127.0.0.1',
    options.port ?? 0,
    5, // keep-alive seconds
    at('__azurite_db_queue__.json'),
    at('__azurite_db_queue_extent__.json'),
    [{ locationId: 'Default', locationPath: at('__queuestorage__'), maxConcurrency: 1 }],
    false, // access log
    undefined,
    false, // debug log
    undefined,
    false, // loose
    true, // skip the API version check: the SDK may be newer than the emulator
    '',
    '',
    '',
    undefined,
    false,
    location === undefined, // in memory
  );
  const server = new QueueServer(configuration);
  await server.start();
  const queueEndpoint = `${server.getHttpServerAddress()}/${AZURITE_ACCOUNT}`;
  return {
    queueEndpoint,
    connectionString: azuriteQueueConnectionString(queueEndpoint),
    stop: () => server.close(),
  };
}
