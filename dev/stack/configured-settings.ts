/**
 * The settings every local command starts from, as `func start` reads them: local.settings.json
 * `Values`, then the environment, which wins (so a one-off `FOO=bar npm start` works). Blank
 * values count as unset. Whatever is not configured here is what the stack embeds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DELTA_SCHEDULE, DEFAULT_SYNC_SCHEDULE } from '../../shared/config/settings.js';
import { readLocalSettings } from '../settings-files.js';
import { repositoryRoot, type StackLocations } from './locations.js';

export type Settings = Record<string, string | undefined>;

export const isSet = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== '';

export interface ConfiguredSettings {
  readonly settings: Settings;
  /** Names set (not blank) in local.settings.json, whether or not the environment overrides them. */
  readonly fromFile: readonly string[];
  /** A real tenant is configured (ENTRA_TENANT_ID), so no simulated one is embedded. */
  readonly tenantConfigured: boolean;
  /** Table Storage is configured, so no Azurite is embedded. */
  readonly tablesConfigured: boolean;
  sourceOf(name: string): 'the environment' | 'local.settings.json' | undefined;
}

export function readConfiguredSettings(
  locations: StackLocations,
  env: Settings = process.env,
): ConfiguredSettings {
  const file = readLocalSettings(locations.localSettingsFile);
  const settings: Settings = { ...file, ...env };
  return {
    settings,
    fromFile: Object.keys(file).filter((name) => isSet(file[name])),
    tenantConfigured: isSet(settings.ENTRA_TENANT_ID),
    tablesConfigured: isSet(settings.TABLES_CONNECTION_STRING) || isSet(settings.TABLES_ENDPOINT),
    sourceOf(name) {
      if (isSet(env[name])) return 'the environment';
      return isSet(file[name]) ? 'local.settings.json' : undefined;
    },
  };
}

/**
 * The app settings with the embedded parts filled in: the simulated tenant's settings, Azurite's
 * table connection, and the defaults a local run needs (the Functions host resolves the timer's
 * %SYNC_SCHEDULE% and %DELTA_SCHEDULE% from app settings, so they must be set).
 */
export function withEmbeddedParts(
  settings: Settings,
  embedded: { tenant?: Readonly<Record<string, string>>; tablesConnectionString?: string },
): Settings {
  const result: Settings = { ...settings };
  if (embedded.tenant !== undefined) Object.assign(result, embedded.tenant);
  if (embedded.tablesConnectionString !== undefined)
    result.TABLES_CONNECTION_STRING = embedded.tablesConnectionString;
  if (!isSet(result.SYNC_SCHEDULE)) result.SYNC_SCHEDULE = DEFAULT_SYNC_SCHEDULE;
  if (!isSet(result.DELTA_SCHEDULE)) result.DELTA_SCHEDULE = DEFAULT_DELTA_SCHEDULE;
  const config = join(repositoryRoot, 'config', 'mishikallm.yaml');
  if (!isSet(result.MISHIKALLM_CONFIG) && existsSync(config)) result.MISHIKALLM_CONFIG = config;
  return result;
}
