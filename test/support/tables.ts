import { randomBytes } from 'node:crypto';
import { TableStore, tableClientFactory } from '../../shared/store/index.js';

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

export function testTableStore(prefix = uniqueTablePrefix()): TableStore {
  return new TableStore(
    tableClientFactory({
      kind: 'connection-string',
      connectionString: azuriteConnectionString(),
      prefix,
    }),
    prefix,
  );
}
