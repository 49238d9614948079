/**
 * Azurite's blob, queue and table services in this process, with their data in one folder: what
 * `npm start` runs. The Functions host needs blob and queue behind
 * `AzureWebJobsStorage=UseDevelopmentStorage=true` (timer locks, queue triggers), the service
 * itself only tables. Port 0 picks a free port; the defaults are the emulator's own.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../shared/store/connection.js';
import { startAzurite } from './azurite.js';

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type ExtentServiceConfiguration = new (
  host: string,
  port: number,
  keepAliveTimeout: number,
  metadataDbPath: string,
  extentDbPath: string,
  persistence: { locationId: string; locationPath: string; maxConcurrency: number }[],
  enableAccessLog: boolean,
  accessLogWriteStream: undefined,
  enableDebugLog: boolean,
  debugLogFilePath: undefined,
  loose: boolean,
  skipApiVersionCheck: boolean,
) => unknown;

const require = createRequire(import.meta.url);

export const AZURITE_DEFAULT_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;

export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

export interface RunningAzuriteServices {
  readonly endpoints: { blob: string; queue: string; table: string };
  /** Blob, queue and table endpoints: for AzureWebJobsStorage. */
  readonly connectionString: string;
  /** Only the table endpoint: for TABLES_CONNECTION_STRING. */
  readonly tablesConnectionString: string;
  /** True when every port is the emulator's default (so UseDevelopmentStorage=true reaches it). */
  readonly onDefaultPorts: boolean;
  stop(): Promise<void>;
}

async function startExtentService(
  service: 'blob' | 'queue',
  port: number,
  location: string,
): Promise<AzuriteServer> {
  const { default: Configuration } = require(
    `azurite/dist/src/${service}/${service === 'blob' ? 'Blob' : 'Queue'}Configuration.js`,
  ) as { default: ExtentServiceConfiguration };
  const { default: Server } = require(
    `azurite/dist/src/${service}/${service === 'blob' ? 'Blob' : 'Queue'}Server.js`,
  ) as { default: new (configuration: unknown) => AzuriteServer };
  const configuration = new Configuration(
    '127.0.0.1',
    port,
    5,
    join(location, `__azurite_db_${service}__.json`),
    join(location, `__azurite_db_${service}_extent__.json`),
    [
      {
        locationId: 'Default',
        locationPath: join(location, `__${service}storage__`),
        maxConcurrency: 10,
      },
    ],
    false,
    undefined,
    false,
    undefined,
    false,
    true,
  );
  const server = new Server(configuration);
  await server.start();
  return server;
}

/** Starts the three services; on a failure the ones already started are stopped again. */
export async function startAzuriteServices(
  location: string,
  ports: AzuritePorts = AZURITE_DEFAULT_PORTS,
): Promise<RunningAzuriteServices> {
  mkdirSync(location, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const blob = await startExtentService('blob', ports.blob, location);
    stops.push(() => blob.close());
    const queue = await startExtentService('queue', ports.queue, location);
    stops.push(() => queue.close());
    const table = await startAzurite({ port: ports.table, location });
    stops.push(() => table.stop());
    const endpoints = {
      blob: `${blob.getHttpServerAddress()}/${AZURITE_ACCOUNT}`,
      queue: `${queue.getHttpServerAddress()}/${AZURITE_ACCOUNT}`,
      table: table.tableEndpoint,
    };
    const account = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY}`;
    return {
      endpoints,
      connectionString: `${account};BlobEndpoint=${endpoints.blob};QueueEndpoint=${endpoints.queue};TableEndpoint=${endpoints.table};`,
      tablesConnectionString: table.connectionString,
      onDefaultPorts: (['blob', 'queue', 'table'] as const).every(
        (service) => Number(new URL(endpoints[service]).port) === AZURITE_DEFAULT_PORTS[service],
      ),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
