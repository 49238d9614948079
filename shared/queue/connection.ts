/**
 * The Storage Queue client, connected the way the tables are: a connection string, an endpoint
 * reached with the app's managed identity (Azure), or Azurite's development account (locally).
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import { unusableConnectionString, type Settings } from '../config/settings.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../store/connection.js';

export const AZURITE_DEFAULT_QUEUE_ENDPOINT = `http://127.0.0.1:10001/${AZURITE_ACCOUNT}`;

export function azuriteQueueConnectionString(queueEndpoint = AZURITE_DEFAULT_QUEUE_ENDPOINT) {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=${queueEndpoint};`;
}

export type QueueClientFactory = (queueName: string) => QueueClient;

export function queueClientFactory(
  queues: Settings['queues'],
  managedIdentityClientId?: string,
): QueueClientFactory {
  switch (queues.kind) {
    case 'connection-string':
      return (name) => {
        try {
          return new QueueClient(queues.connectionString, name);
        } catch (error) {
          throw unusableConnectionString('QUEUES_CONNECTION_STRING', error);
        }
      };
    case 'azurite':
      return (name) => new QueueClient(azuriteQueueConnectionString(), name);
    case 'endpoint': {
      const credential =
        managedIdentityClientId === undefined
          ? new DefaultAzureCredential()
          : new ManagedIdentityCredential({ clientId: managedIdentityClientId });
      const root = queues.endpoint.replace(/\/+$/, '');
      return (name) => new QueueClient(`${root}/${name}`, credential);
    }
  }
}
