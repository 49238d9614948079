/**
 * Azurite's table service, started in-process from node_modules: the real Table Storage
 * emulator, used by the tests and by `npm start` when no table connection is configured.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AZURITE_ACCOUNT, azuriteConnectionString } from '../shared/store/connection.js';

interface AzuriteTableServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type TableConfigurationConstructor = new (
  host: string,
  port: number,
  keepAliveTimeout: number,
  metadataDbPath: string,
  enableDebugLog: boolean,
  enableAccessLog: boolean,
  accessLogWriteStream: undefined,
  debugLogFilePath: undefined,
  loose: boolean,
  skipApiVersionCheck: boolean,
  cert: string,
  key: string,
  pwd: string,
  oauth: undefined,
  disableProductStyleUrl: boolean,
  isMemoryPersistence: boolean,
) => unknown;

const require = createRequire(import.meta.url);

export interface RunningAzurite {
  /** e.g. http://127.0.0.1:54321/devstoreaccount1 */
  readonly tableEndpoint: string;
  readonly connectionString: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  /** A folder to keep data in across restarts; in memory when absent. */
  readonly location?: string;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const { default: TableConfiguration } =
    require('azurite/dist/src/table/TableConfiguration.js') as {
      default: TableConfigurationConstructor;
    };
  const { default: TableServer } = require('azurite/dist/src/table/TableServer.js') as {
    default: new (configuration: unknown) => AzuriteTableServer;
  };
  const inMemory = options.location === undefined;
  if (options.location !== undefined) mkdirSync(options.location, { recursive: true });
  const configuration = new TableConfiguration(
    '127.0.0.1',
    options.port ?? 0,
    5,
    join(options.location ?? '.', '__azurite_db_table__.json'),
    false,
    false,
    undefined,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    inMemory,
  );
  const server = new TableServer(configuration);
  await server.start();
  const tableEndpoint = `${server.getHttpServerAddress()}/${AZURITE_ACCOUNT}`;
  return {
    tableEndpoint,
    connectionString: azuriteConnectionString(tableEndpoint),
    stop: () => server.close(),
  };
}
