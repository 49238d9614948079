/**
 * The parts `npm start` embeds for whatever is not configured: Azurite (blob, queue and table,
 * data in the data folder's .azurite/) and one simulated Entra tenant on a stable port whose
 * directory persists in .dev-tenant/state.json. The app itself then runs in a child process that
 * gets these settings, because NODE_EXTRA_CA_CERTS (trust for the simulated tenant) is read only
 * when Node.js starts.
 */
import { randomBytes } from 'node:crypto';
import { startAzuriteServices } from './azurite-services.js';
import {
  isSet,
  withEmbeddedParts,
  type ConfiguredSettings,
  type Settings,
} from './stack/configured-settings.js';
import { portSetting, seedTenantFile, type StackLocations } from './stack/locations.js';
import type { StackRecord } from './stack/stack-file.js';
import { startSimulatedTenant } from './tenant/server.js';

export interface LocalEnvironment {
  /** The functions' app settings. */
  readonly settings: Settings;
  readonly tenant: StackRecord['tenant'];
  readonly storage: StackRecord['storage'];
  stop(): Promise<void>;
}

/** A port already taken, said in words with the setting that moves it. */
function portInUse(error: unknown, setting: string): Error {
  const port = (error as { port?: number }).port;
  return new Error(
    `Port ${port ?? '?'} is in use (is another \`npm start\` or Azurite running?): stop it, or set ${setting} to another port (0 picks a free one).`,
    { cause: error },
  );
}

const isAddressInUse = (error: unknown) =>
  (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

async function startStorage(settings: Settings, locations: StackLocations) {
  const ports = {
    blob: portSetting(settings, 'AZURITE_BLOB_PORT'),
    queue: portSetting(settings, 'AZURITE_QUEUE_PORT'),
    table: portSetting(settings, 'AZURITE_TABLE_PORT'),
  };
  try {
    return await startAzuriteServices(locations.azuriteDir, ports);
  } catch (error) {
    if (!isAddressInUse(error)) throw error;
    const port = (error as { port?: number }).port;
    const setting =
      port === ports.blob
        ? 'AZURITE_BLOB_PORT'
        : port === ports.queue
          ? 'AZURITE_QUEUE_PORT'
          : 'AZURITE_TABLE_PORT';
    throw portInUse(error, setting);
  }
}

async function startTenant(settings: Settings, locations: StackLocations) {
  try {
    return await startSimulatedTenant({
      tenant: seedTenantFile(settings),
      stateFile: locations.tenantStateFile,
      port: portSetting(settings, 'TENANT_PORT'),
    });
  } catch (error) {
    if (isAddressInUse(error)) throw portInUse(error, 'TENANT_PORT');
    throw error;
  }
}

export async function prepareLocalEnvironment(
  configured: ConfiguredSettings,
  locations: StackLocations,
): Promise<LocalEnvironment> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  const settings = { ...configured.settings };
  try {
    let storage: LocalEnvironment['storage'] = null;
    if (!configured.tablesConfigured) {
      const azurite = await startStorage(settings, locations);
      stops.push(() => azurite.stop());
      storage = {
        location: locations.azuriteDir,
        ...azurite.endpoints,
        tablesConnectionString: azurite.tablesConnectionString,
      };
      const jobs = settings.AzureWebJobsStorage;
      // The host's own storage (timer locks, queues): the emulator this stack runs.
      if (!isSet(jobs) || jobs.trim() === 'UseDevelopmentStorage=true') {
        settings.AzureWebJobsStorage = azurite.onDefaultPorts
          ? 'UseDevelopmentStorage=true'
          : azurite.connectionString;
      }
      // The group-sync queue the webhook fills and the queue trigger drains: the same emulator.
      if (!isSet(settings.QUEUES_CONNECTION_STRING) && !isSet(settings.QUEUES_ENDPOINT)) {
        settings.QUEUES_CONNECTION_STRING = azurite.connectionString;
      }
    }

    let tenant: LocalEnvironment['tenant'] = null;
    if (!configured.tenantConfigured) {
      const sim = await startTenant(settings, locations);
      stops.push(() => sim.stop());
      tenant = {
        url: sim.baseUrl,
        adminPage: `${sim.baseUrl}/_admin/`,
        tenantId: sim.tenantId,
        stateFile: locations.tenantStateFile,
        seedFile: seedTenantFile(settings),
        caPath: sim.caPath ?? '',
        settings: { ...sim.env, GRAPH_AUTH: 'client_secret' },
      };
    }

    const app = withEmbeddedParts(settings, {
      ...(tenant === null ? {} : { tenant: tenant.settings }),
      ...(storage === null ? {} : { tablesConnectionString: storage.tablesConnectionString }),
    });
    if (!isSet(app.FUNCTIONS_WORKER_RUNTIME)) app.FUNCTIONS_WORKER_RUNTIME = 'node';
    if (!isSet(app.SESSION_SECRET)) app.SESSION_SECRET = randomBytes(32).toString('base64url');
    return { settings: app, tenant, storage, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
