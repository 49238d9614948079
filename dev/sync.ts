/**
 * `npm run sync`: the reconciliation CLI (cli/sync.ts) against the running local stack: the
 * simulated tenant and the Azurite tables `npm start` embedded (read from .dev-stack.json), with
 * local.settings.json and the environment for everything configured. It never starts a tenant of
 * its own: a fresh one would not hold what was changed in the running one, and the run would
 * undo those changes in the tables. With a real tenant and tables configured, no stack is needed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readConfiguredSettings, withEmbeddedParts } from './stack/configured-settings.js';
import { repositoryRoot, stackLocations } from './stack/locations.js';
import { NO_STACK_MESSAGE, readRunningStack } from './stack/stack-file.js';

const args = process.argv.slice(2);

// Printed here rather than by cli/sync.js: loading the reconciliation takes most of a second.
const HELP = `Usage: npm run sync -- [--dry-run] [--summary] [--json] [--max-removals N] [--allow-empty-assignments]

Reconciles the tables with the tenant now, as the timer does: against the running local stack
(npm start) for whatever local.settings.json does not configure.
  --dry-run                  print the plan, write nothing
  --summary                  counts per kind of change instead of one line per change
  --delta                    run one delta round (what the delta timer runs) instead
  --json                     print the run record (and the plan) as JSON
  --max-removals N           this run's mass-removal limit (how an operator releases a hold)
  --allow-empty-assignments  archive every synced team if no group is assigned`;
const cli = join(repositoryRoot, 'dist', 'cli', 'sync.js');

function run(env: Record<string, string | undefined>): void {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: repositoryRoot,
    env,
    stdio: 'inherit',
  });
  child.once('exit', (code) => {
    process.exit(code ?? 1);
  });
}

function settingsForTheStack(): Record<string, string | undefined> | string {
  const locations = stackLocations();
  const configured = readConfiguredSettings(locations);
  const needsTenant = !configured.tenantConfigured;
  const needsTables = !configured.tablesConfigured;
  if (!needsTenant && !needsTables) return configured.settings;
  const stack = readRunningStack(locations.stackFile);
  if (stack === undefined) return NO_STACK_MESSAGE;
  if (needsTenant && stack.tenant === null)
    return 'The running local stack uses a configured tenant, and ENTRA_TENANT_ID is not set here: set it as npm start had it.';
  if (needsTables && stack.storage === null)
    return 'The running local stack uses configured Table Storage, and TABLES_CONNECTION_STRING (or TABLES_ENDPOINT) is not set here: set it as npm start had it.';
  if (!args.includes('--json')) {
    const parts = [
      ...(needsTenant && stack.tenant ? [`simulated tenant ${stack.tenant.url}`] : []),
      ...(needsTables && stack.storage ? [`Azurite tables ${stack.storage.table}`] : []),
    ];
    console.error(`Local stack (pid ${stack.pid}): ${parts.join(', ')}`);
  }
  return withEmbeddedParts(configured.settings, {
    ...(needsTenant && stack.tenant ? { tenant: stack.tenant.settings } : {}),
    ...(needsTables && stack.storage
      ? { tablesConnectionString: stack.storage.tablesConnectionString }
      : {}),
  });
}

if (args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
} else {
  let settings;
  try {
    settings = settingsForTheStack();
  } catch (error) {
    settings = error instanceof Error ? error.message : String(error);
  }
  if (typeof settings === 'string') {
    console.error(settings);
    process.exit(2);
  }
  run(settings);
}
