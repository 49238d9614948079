import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { createServices, type Services } from '../../shared/services.js';
import { azuriteConnectionString, uniqueTablePrefix } from './tables.js';

export const TEST_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const TEST_CLIENT_ID = '11111111-2222-4333-8444-555555555555';

/** Settings for a test: Azurite from the global setup, a table prefix of its own. */
export function testSettings(environment: Record<string, string> = {}): Settings {
  return loadSettings({
    ENTRA_TENANT_ID: TEST_TENANT_ID,
    ENTRA_CLIENT_ID: TEST_CLIENT_ID,
    ENTRA_CLIENT_SECRET: 'test-secret',
    TABLES_CONNECTION_STRING: azuriteConnectionString(),
    TABLE_PREFIX: uniqueTablePrefix(),
    ...environment,
  });
}

export function testServices(environment: Record<string, string> = {}): Services {
  return createServices(testSettings(environment));
}
