/**
 * Where the local stack keeps things and which ports it listens on. Everything it writes lives
 * in one data folder (the repository by default; `DEV_DATA_DIR` moves it, as the tests do):
 * `.azurite/` (storage), `.dev-tenant/state.json` (the simulated tenant's directory) and
 * `.dev-stack.json` (what is running, for the other local commands).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file is dist/dev/stack/locations.js once built. */
export const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));

export const SAMPLE_TENANT_FILE = join(repositoryRoot, 'dev', 'tenants', 'sample.json');

type Env = Readonly<Record<string, string | undefined>>;

export interface StackLocations {
  readonly dataDir: string;
  readonly stackFile: string;
  readonly tenantStateFile: string;
  readonly azuriteDir: string;
  readonly localSettingsFile: string;
}

const isSet = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== '';

export function stackLocations(env: Env = process.env): StackLocations {
  const dataDir = isSet(env.DEV_DATA_DIR) ? resolve(env.DEV_DATA_DIR) : repositoryRoot;
  return {
    dataDir,
    stackFile: join(dataDir, '.dev-stack.json'),
    tenantStateFile: join(dataDir, '.dev-tenant', 'state.json'),
    azuriteDir: join(dataDir, '.azurite'),
    localSettingsFile: isSet(env.DEV_LOCAL_SETTINGS)
      ? resolve(env.DEV_LOCAL_SETTINGS)
      : join(repositoryRoot, 'local.settings.json'),
  };
}

/** The tenant file a fresh (or reset) simulated tenant starts from. */
export function seedTenantFile(settings: Env): string {
  return isSet(settings.SIMULATED_TENANT) ? resolve(settings.SIMULATED_TENANT) : SAMPLE_TENANT_FILE;
}

/** The stack's ports: stable documented defaults, each overridable (0 picks a free one). */
export const DEFAULT_PORTS = {
  PORT: 7071,
  TENANT_PORT: 7072,
  AZURITE_BLOB_PORT: 10000,
  AZURITE_QUEUE_PORT: 10001,
  AZURITE_TABLE_PORT: 10002,
} as const;

export type PortSetting = keyof typeof DEFAULT_PORTS;

export function portSetting(settings: Env, name: PortSetting): number {
  const text = settings[name];
  if (!isSet(text)) return DEFAULT_PORTS[name];
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number (0 to 65535), not "${text}"`);
  return port;
}
