/**
 * For the fan-out tests: services whose full pass fans out over a test file's own queue
 * service, a driver that works the `group-sync` queue in this process (as the worker would,
 * one message after another, optionally each one twice), and table snapshots without what
 * differs between two runs made at different times (ETags, timestamps).
 */
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { workGroupSyncMessage, type Logger } from '../../shared/notifications/index.js';
import type { Services } from '../../shared/services.js';
import type { TableRole } from '../../shared/store/index.js';
import { servicesFor, snapshot } from '../reconcile/helpers.js';
import { drain } from './notifications.js';

export const QUIET: Logger = { info: () => undefined, warn: () => undefined };

/** Shares of 4 groups; `fanOut: false` keeps the single-invocation pass, for comparison. */
export function fanOutServices(
  sim: SimulatedTenant,
  queueConnectionString: string,
  environment: Record<string, string> = {},
  fanOut = true,
): Services {
  return servicesFor(sim, fanOut ? 'Fo' : 'Fs', {
    QUEUES_CONNECTION_STRING: queueConnectionString,
    FULL_PASS_FAN_OUT_GROUPS: fanOut ? '4' : '100000',
    FULL_PASS_SHARE_GROUPS: '4',
    ...environment,
  });
}

/** Works every message on `group-sync` (and those they enqueue) until it is empty. */
export async function workQueue(
  services: Services,
  queueConnectionString: string,
  options: { readonly twice?: boolean } = {},
): Promise<number> {
  let worked = 0;
  for (let round = 0; round < 20; round += 1) {
    const messages = await drain(queueConnectionString);
    if (messages.length === 0) return worked;
    for (const message of messages) {
      await workGroupSyncMessage(message, services, QUIET);
      if (options.twice === true) await workGroupSyncMessage(message, services, QUIET);
      worked += 1;
    }
  }
  throw new Error('the group-sync queue did not settle');
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Every entity, without ETags and timestamps: what two equal runs at two moments share. */
export async function contents(
  services: Services,
  roles: readonly TableRole[] = ['teams', 'users'],
): Promise<Record<string, Record<string, unknown>[]>> {
  const tables = await snapshot(services, roles);
  return Object.fromEntries(
    Object.entries(tables).map(([role, entities]) => [
      role,
      entities.map((entity) =>
        Object.fromEntries(
          Object.entries(entity)
            .filter(([name]) => name !== 'etag' && name !== 'timestamp')
            .map(([name, value]) => [
              name,
              typeof value === 'string' && ISO_TIME.test(value) ? '<time>' : value,
            ]),
        ),
      ),
    ]),
  );
}
