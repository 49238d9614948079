/**
 * The storage account a queue trigger's `connection` names, resolved from app settings as the
 * Functions host does: `<connection>` holds a connection string (`UseDevelopmentStorage=true`
 * for Azurite), or `<connection>__queueServiceUri` an endpoint reached with an identity.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import { azuriteQueueConnectionString } from '../../shared/queue/connection.js';

export function queueClientsFor(
  connection: string,
  settings: Readonly<Record<string, string | undefined>>,
): (queueName: string) => QueueClient {
  const value = settings[connection]?.trim();
  if (value !== undefined && value !== '') {
    const connectionString = /^UseDevelopmentStorage=true;?$/i.test(value)
      ? azuriteQueueConnectionString()
      : value;
    return (name) => new QueueClient(connectionString, name);
  }
  const serviceUri = settings[`${connection}__queueServiceUri`]?.trim();
  if (serviceUri !== undefined && serviceUri !== '') {
    const credential = new DefaultAzureCredential();
    return (name) => new QueueClient(`${serviceUri.replace(/\/+$/, '')}/${name}`, credential);
  }
  throw new Error(
    `app setting ${connection} (or ${connection}__queueServiceUri) is referenced by a queue trigger but not set`,
  );
}
