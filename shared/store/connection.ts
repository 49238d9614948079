import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import {
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { unusableConnectionString, type Settings } from '../config/settings.js';

/** Azurite's documented development account: the default when no connection is configured. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const AZURITE_DEFAULT_TABLE_ENDPOINT = `http://127.0.0.1:10002/${AZURITE_ACCOUNT}`;

export function azuriteConnectionString(tableEndpoint = AZURITE_DEFAULT_TABLE_ENDPOINT): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${tableEndpoint};`;
}

/** The tables this service uses, by role; names carry the optional `TABLE_PREFIX`. */
export const TABLE_ROLES = ['teams', 'users', 'runs', 'audit', 'state'] as const;
export type TableRole = (typeof TABLE_ROLES)[number];

const BASE_NAMES: Record<TableRole, string> = {
  teams: 'Teams',
  users: 'Users',
  runs: 'SyncRuns',
  audit: 'SyncAudit',
  state: 'SyncState',
};

export function tableName(role: TableRole, prefix: string): string {
  return `${prefix}${BASE_NAMES[role]}`;
}

export type TableClientFactory = (tableName: string) => TableClient;

export function tableClientFactory(
  tables: Settings['tables'],
  managedIdentityClientId?: string,
): TableClientFactory {
  const options: TableServiceClientOptions = {};
  switch (tables.kind) {
    case 'connection-string': {
      const insecure = /DefaultEndpointsProtocol=http(;|$)|TableEndpoint=http:/i.test(
        tables.connectionString,
      );
      return (name) => {
        try {
          return TableClient.fromConnectionString(tables.connectionString, name, {
            ...options,
            allowInsecureConnection: insecure,
          });
        } catch (error) {
          throw unusableConnectionString('TABLES_CONNECTION_STRING', error);
        }
      };
    }
    case 'azurite':
      return (name) =>
        TableClient.fromConnectionString(azuriteConnectionString(), name, {
          allowInsecureConnection: true,
        });
    case 'endpoint': {
      const credential: TokenCredential =
        managedIdentityClientId === undefined
          ? new DefaultAzureCredential()
          : new ManagedIdentityCredential({ clientId: managedIdentityClientId });
      return (name) => new TableClient(tables.endpoint, name, credential, options);
    }
  }
}
