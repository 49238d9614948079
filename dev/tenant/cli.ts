/**
 * Starts the simulated tenant standalone:
 *   node dist/dev/tenant/cli.js --tenant dev/tenants/sample.json --port 0 [--page-size N] [--throttle [LIMIT]]
 *   node dist/dev/tenant/cli.js --generate '{"seed":1,"users":500,"groups":50}' --port 0
 * Prints the base URL, the app credentials, the CA file and the env lines to use; stops on
 * SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { generateTenant, type GenerateTenantOptions } from './generate.js';
import { startSimulatedTenant } from './server.js';

const USAGE = `Usage: tenant [--tenant FILE | --generate JSON] [--port N] [--page-size N] [--throttle [LIMIT]] [--verbose]

  --tenant FILE      tenant JSON (default dev/tenants/sample.json)
  --generate JSON    generate a tenant instead (options of generateTenant, e.g. {"seed":1,"users":500,"groups":50})
  --port N           port on 127.0.0.1 (0, the default, picks a free one)
  --page-size N      default Graph page size (default 100)
  --throttle         enable the resource-unit budget (Graph's default for the tenant size)
  --throttle-limit N resource units per 10 s window (implies --throttle)
  --verbose          print one line per request
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      generate: { type: 'string' },
      port: { type: 'string', default: '0' },
      'page-size': { type: 'string' },
      throttle: { type: 'boolean', default: false },
      'throttle-limit': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: expected 0..65535, got '${values.port}'`);
  const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999)) {
    throw new Error(`--page-size: expected 1..999, got '${values['page-size'] ?? ''}'`);
  }
  const limit =
    values['throttle-limit'] === undefined ? undefined : Number(values['throttle-limit']);
  if (limit !== undefined && (!Number.isFinite(limit) || limit < 1))
    throw new Error(`--throttle-limit: expected a positive number`);
  const tenant =
    values.generate !== undefined
      ? generateTenant(JSON.parse(values.generate) as GenerateTenantOptions)
      : (values.tenant ?? 'dev/tenants/sample.json');

  const sim = await startSimulatedTenant({
    tenant,
    port,
    ...(pageSize === undefined ? {} : { pageSize }),
    throttling: limit !== undefined ? { limit } : values.throttle,
    ...(values.verbose
      ? {
          onRequest: (line: string) =>
            process.stdout.write(`${new Date().toISOString()} ${line}\n`),
        }
      : {}),
  });

  const lines = [
    'Simulated Entra tenant running (development only).',
    `  base URL          ${sim.baseUrl}`,
    `  OIDC discovery    ${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
    `  Graph             ${sim.graphEndpoint}/v1.0`,
    `  admin API         ${sim.baseUrl}/_admin/state`,
    `  tenant id         ${sim.tenantId}`,
    `  client id         ${sim.clientId}`,
    `  client secret     ${sim.clientSecret}`,
    `  service principal ${sim.servicePrincipalId}`,
    `  CA file           ${sim.caPath ?? '(none)'}`,
    '',
    'Environment for the service (NODE_EXTRA_CA_CERTS must be set when Node starts):',
    ...Object.entries(sim.env).map(([k, v]) => `${k}=${v}`),
    '',
    'Ctrl+C stops it.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the simulated tenant\n`);
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`tenant: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
