/**
 * The local stack in the test process, as `npm start` serves it: the stand-in host serving
 * every registered function (functions/index.ts), the sample simulated tenant as Entra, the
 * test Azurite for tables and a queue service of the file's own, change notifications on
 * (the webhook is this host's), and a full pass already run. For suites that drive every
 * route (test/fuzz) or load the whole stack (test/load).
 */
import { afterAll, beforeAll } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import type { SimulatedTenant } from '../../dev/tenant/server.js';
import { functionDefinitions } from '../../functions/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import { reconcile } from '../../shared/sync/index.js';
import { tenantSettings } from '../auth/tenant.js';
import { CLIENT_STATE, useQueueService } from './notifications.js';
import { SAMPLE } from './sample-tenant.js';
import { useSimulatedTenant, type TenantFixtureOptions } from './tenant-fixture.js';

export interface InProcessStack {
  readonly host: LocalHost;
  readonly services: Services;
  readonly tenant: SimulatedTenant;
  readonly queueConnectionString: string;
  /** Every line the host and the functions logged. */
  readonly logs: string[];
}

export interface InProcessStackOptions {
  /** Run the queue trigger (the group-sync worker); off leaves queued messages where they are. */
  readonly queues?: boolean;
  readonly settings?: Record<string, string>;
  readonly tenant?: TenantFixtureOptions;
}

export function useInProcessStack(options: InProcessStackOptions = {}): InProcessStack {
  const tenant = useSimulatedTenant(SAMPLE, options.tenant);
  const queueService = useQueueService();
  const stack = { tenant, logs: [] as string[] } as {
    -readonly [K in keyof InProcessStack]: InProcessStack[K];
  };
  beforeAll(async () => {
    stack.queueConnectionString = queueService.connectionString;
    stack.host = await startLocalHost({
      definitions: functionDefinitions,
      port: 0,
      timers: false,
      queues: options.queues ?? false,
      settings: { AzureWebJobsStorage: queueService.connectionString },
      queueSettings: {
        maxDequeueCount: 5,
        visibilityTimeoutMs: 0,
        batchSize: 16,
        maxPollingIntervalMs: 100,
        messageEncoding: 'base64',
      },
      log: (level, message) => stack.logs.push(`${level}: ${message}`),
    });
    const settings = tenantSettings(tenant, {
      QUEUES_CONNECTION_STRING: queueService.connectionString,
      NOTIFICATION_URL: `${stack.host.url}/api/graph/notifications`,
      NOTIFICATION_CLIENT_STATE: CLIENT_STATE,
      ...options.settings,
    });
    stack.services = createServices(settings);
    useServices(stack.services);
    await reconcile(stack.services, { trigger: 'cli' });
  });
  afterAll(async () => {
    await stack.host.stop();
    useServices(undefined);
  });
  return stack;
}
