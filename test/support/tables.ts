import { randomBytes } from 'node:crypto';
import type { Settings } from '../../shared/config/settings.js';
import { tableClientFactory, type Repository } from '../../shared/store/index.js';
import { Tables } from '../../shared/store/tables.js';

export function azuriteConnectionString(): string {
  const connectionString = process.env.TEST_AZURITE_CONNECTION_STRING;
  if (connectionString === undefined) {
    throw new Error(
      'TEST_AZURITE_CONNECTION_STRING is not set: run the tests through vitest.config.ts',
    );
  }
  return connectionString;
}

/** A table prefix no other test uses, so test files share one Azurite without seeing each other. */
export function uniqueTablePrefix(label = 'T'): string {
  return `${label}${randomBytes(5).toString('hex')}`;
}

/** The tables beneath a repository, for tests that seed or inspect entities as they are stored. */
export function testTables(prefix = uniqueTablePrefix()): Tables {
  return new Tables(
    tableClientFactory({
      kind: 'connection-string',
      connectionString: azuriteConnectionString(),
      prefix,
    }),
    prefix,
  );
}

/** The same tables a test's services use: what an operator or the proxy sees. */
export function tablesOf(services: { readonly settings: Settings }): Tables {
  return new Tables(tableClientFactory(services.settings.tables), services.settings.tables.prefix);
}

/** Every team record, read the way a full pass reads them. */
export async function allTeams(services: { readonly repository: Repository }) {
  return (await services.repository.read({ kind: 'tenant' })).teams;
}

/** Every user record, read the way a full pass reads them. */
export async function allUsers(services: { readonly repository: Repository }) {
  return (await services.repository.read({ kind: 'tenant' })).users;
}
