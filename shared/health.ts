import { describeError } from './errors.js';
import { getServices, type Services } from './services.js';

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly reason?: string;
  readonly settings:
    | {
        readonly loaded: true;
        readonly tenantId: string;
        readonly graphEndpoint: string;
        readonly tables: string;
      }
    | { readonly loaded: false; readonly error: string };
  readonly tables?: {
    readonly reachable: boolean;
    readonly names?: readonly string[];
    readonly error?: string;
  };
}

function describeTables(services: Services): string {
  const { tables } = services.settings;
  switch (tables.kind) {
    case 'azurite':
      return 'local Azurite (no table connection configured)';
    case 'connection-string':
      return 'connection string';
    case 'endpoint':
      return `${tables.endpoint} (managed identity)`;
  }
}

/** Settings loaded and both contract tables reachable (created if missing). */
export async function checkHealth(load: () => Services = getServices): Promise<HealthReport> {
  let services: Services;
  try {
    services = load();
  } catch (error) {
    return {
      status: 'unavailable',
      reason: 'settings are invalid',
      settings: { loaded: false, error: describeError(error) },
    };
  }
  const settings = {
    loaded: true as const,
    tenantId: services.settings.entra.tenantId,
    graphEndpoint: services.settings.entra.graphEndpoint,
    tables: describeTables(services),
  };
  try {
    const names = await services.repository.probe();
    return { status: 'ok', settings, tables: { reachable: true, names } };
  } catch (error) {
    return {
      status: 'unavailable',
      reason: 'Table Storage is not reachable',
      settings,
      tables: { reachable: false, error: describeError(error) },
    };
  }
}
