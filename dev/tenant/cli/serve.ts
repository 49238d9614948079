/**
 * `serve`: a simulated tenant on its own, in memory, apart from the local stack (for a tenant
 * file of your own, throttling or a request log):
 *   npm run tenant -- serve --tenant dev/tenants/sample.json --port 0 [--page-size N] [--throttle]
 * Prints the base URL, the app credentials, the CA file and the env lines to use; stops on
 * SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startSimulatedTenant } from '../server.js';
import { CliError } from './cli-error.js';

const USAGE = `Usage: npm run tenant -- serve [--tenant FILE] [--port N] [--page-size N] [--throttle] [--throttle-limit N] [--verbose]

  --tenant FILE      tenant JSON (default dev/tenants/sample.json; npm run tenant -- generate writes one)
  --port N           port on 127.0.0.1 (0, the default, picks a free one)
  --page-size N      default Graph page size (default 100)
  --throttle         enable the resource-unit budget (Graph's default for the tenant size)
  --throttle-limit N resource units per 10 s window (implies --throttle)
  --verbose          print one line per request
`;

export async function serveCommand(args: readonly string[]): Promise<void> {
  if (args.includes('--generate'))
    throw new CliError(
      `--generate now writes a file: npm run tenant -- generate '<options JSON>' --out FILE`,
      2,
    );
  const { values } = parseArgs({
    args: [...args],
    options: {
      tenant: { type: 'string' },
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
    throw new CliError(`--port: expected 0..65535, got '${values.port}'`, 2);
  const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999)) {
    throw new CliError(`--page-size: expected 1..999, got '${values['page-size'] ?? ''}'`, 2);
  }
  const limit =
    values['throttle-limit'] === undefined ? undefined : Number(values['throttle-limit']);
  if (limit !== undefined && (!Number.isFinite(limit) || limit < 1))
    throw new CliError(`--throttle-limit: expected a positive number`, 2);
  const tenant = values.tenant ?? 'dev/tenants/sample.json';

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
