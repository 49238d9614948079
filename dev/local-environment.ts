/**
 * The embedded defaults of `npm start` and `npm run sync`: whatever is not configured (in
 * local.settings.json `Values` or the environment, the environment winning) is filled in with
 * Azurite from node_modules for Table Storage and the simulated Entra tenant for Entra ID and
 * Graph. The app itself then runs in a child process that gets these settings, because
 * NODE_EXTRA_CA_CERTS (trust for the simulated tenant) is read only when Node.js starts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAzurite, type RunningAzurite } from './azurite.js';
import { startAzuriteQueue } from './azurite-queue.js';
import { readLocalSettings } from './settings-files.js';
import { startSimulatedTenant } from './tenant/server.js';
import { DEFAULT_SYNC_SCHEDULE } from '../shared/config/settings.js';
import { azuriteConnectionString } from '../shared/store/connection.js';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

const AZURITE_PORT = 10002;
const AZURITE_QUEUE_PORT = 10001;

export interface LocalEnvironment {
  readonly settings: Record<string, string | undefined>;
  readonly notes: readonly string[];
  stop(): Promise<void>;
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

async function startTableStorage(): Promise<{
  azurite?: RunningAzurite;
  connectionString: string;
  note: string;
}> {
  try {
    const azurite = await startAzurite({
      port: AZURITE_PORT,
      location: join(repositoryRoot, '.azurite'),
    });
    return {
      azurite,
      connectionString: azurite.connectionString,
      note: `Table Storage: Azurite at ${azurite.tableEndpoint} (data kept in .azurite/)`,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // Most likely `npm start` (or the user's own Azurite) already serves it: share it.
    return {
      connectionString: azuriteConnectionString(),
      note: `Table Storage: the Azurite already listening on 127.0.0.1:${AZURITE_PORT}`,
    };
  }
}

/** Azurite's queue service on its usual port, for group-sync and the stand-in host's trigger. */
async function startQueueStorage(stops: (() => Promise<void>)[]): Promise<string> {
  try {
    const queue = await startAzuriteQueue({
      port: AZURITE_QUEUE_PORT,
      location: join(repositoryRoot, '.azurite'),
    });
    stops.push(() => queue.stop());
    return `Queue Storage: Azurite at ${queue.queueEndpoint} (group-sync)`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return `Queue Storage: the Azurite already listening on 127.0.0.1:${AZURITE_QUEUE_PORT}`;
  }
}

export async function prepareLocalEnvironment(): Promise<LocalEnvironment> {
  const settings: Record<string, string | undefined> = {
    ...readLocalSettings(repositoryRoot),
    ...process.env,
  };
  const stops: (() => Promise<void>)[] = [];
  const notes: string[] = [];

  if (!isSet(settings.ENTRA_TENANT_ID)) {
    const tenantFile = settings.SIMULATED_TENANT ?? join(repositoryRoot, 'dev/tenants/sample.json');
    const tenant = await startSimulatedTenant({ tenant: tenantFile, port: 0 });
    stops.push(() => tenant.stop());
    Object.assign(settings, tenant.env, { GRAPH_AUTH: 'client_secret' });
    notes.push(
      `Entra ID: simulated tenant ${tenant.tenantId} at ${tenant.baseUrl}`,
      `  tenant data: ${tenantFile}; admin API ${tenant.baseUrl}/_admin (docs/simulated-tenant.md)`,
    );
  } else {
    notes.push(`Entra ID: tenant ${settings.ENTRA_TENANT_ID} (configured)`);
  }

  if (!isSet(settings.TABLES_CONNECTION_STRING) && !isSet(settings.TABLES_ENDPOINT)) {
    const tables = await startTableStorage();
    const azurite = tables.azurite;
    if (azurite !== undefined) stops.push(() => azurite.stop());
    settings.TABLES_CONNECTION_STRING = tables.connectionString;
    notes.push(tables.note);
  } else {
    notes.push('Table Storage: configured connection');
  }

  // QUEUES_* unset means Azurite's queue on 10001, which is also what the queue trigger's
  // AzureWebJobsStorage=UseDevelopmentStorage=true names.
  if (!isSet(settings.QUEUES_CONNECTION_STRING) && !isSet(settings.QUEUES_ENDPOINT)) {
    notes.push(await startQueueStorage(stops));
    if (!isSet(settings.AzureWebJobsStorage))
      settings.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
  }

  // The Functions host resolves the timer's %SYNC_SCHEDULE% from app settings: it must be set.
  if (!isSet(settings.SYNC_SCHEDULE)) settings.SYNC_SCHEDULE = DEFAULT_SYNC_SCHEDULE;
  if (!isSet(settings.SESSION_SECRET))
    settings.SESSION_SECRET = randomBytes(32).toString('base64url');
  const config = join(repositoryRoot, 'config/mishikallm.yaml');
  if (!isSet(settings.MISHIKALLM_CONFIG) && existsSync(config)) settings.MISHIKALLM_CONFIG = config;

  return {
    settings,
    notes,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
