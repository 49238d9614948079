/**
 * What `npm start` prints once the stack is up: each part, whether it is embedded or configured
 * (and where from), the names (never the values) of the settings taken from local.settings.json,
 * and the walkthrough's next steps.
 */
import { isAbsolute, relative } from 'node:path';
import type { ConfiguredSettings } from './configured-settings.js';
import { repositoryRoot, SAMPLE_TENANT_FILE, type StackLocations } from './locations.js';
import type { StackRecord } from './stack-file.js';

/** A path as the user would type it from the repository, when it is inside it. */
export function shown(path: string): string {
  const inside = relative(repositoryRoot, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

const portOf = (url: string) => new URL(url).port;

function entraLines(record: StackRecord, configured: ConfiguredSettings): string[] {
  const { tenant } = record;
  if (tenant === null) {
    const id = configured.settings.ENTRA_TENANT_ID ?? '';
    return [
      `  Entra ID   tenant ${id} (configured: ENTRA_TENANT_ID from ${configured.sourceOf('ENTRA_TENANT_ID') ?? 'settings'})`,
    ];
  }
  return [
    `  Entra ID   simulated tenant ${tenant.url} (embedded)`,
    `             state ${shown(tenant.stateFile)}, seeded from ${shown(tenant.seedFile)} (npm run tenant -- reset starts over)`,
    `             admin page ${tenant.adminPage} (certificate: ${shown(tenant.caPath)})`,
  ];
}

function storageLines(record: StackRecord, configured: ConfiguredSettings): string[] {
  const { storage } = record;
  if (storage === null) {
    const name = configured.settings.TABLES_CONNECTION_STRING
      ? 'TABLES_CONNECTION_STRING'
      : 'TABLES_ENDPOINT';
    return [`  Storage    configured (${name} from ${configured.sourceOf(name) ?? 'settings'})`];
  }
  return [
    `  Storage    Azurite (embedded): blob :${portOf(storage.blob)}, queue :${portOf(storage.queue)}, table :${portOf(storage.table)}; data in ${shown(storage.location)}`,
  ];
}

function walkthrough(record: StackRecord): string[] {
  const login = `${record.functions.url}/api/sso/login`;
  if (record.tenant?.seedFile !== SAMPLE_TENANT_FILE) {
    return [`Next: open ${login} to sign in; npm run sync reconciles now.`];
  }
  return [
    'Walkthrough (README.md), in another terminal:',
    `  1. open ${login}`,
    '     sign in as Ava Patel, a member of "Production LLM Evals Group": she gets its team',
    '  2. npm run tenant -- add-member "Production LLM Evals Group" elif.demir@mishikallm.onmicrosoft.com',
    '     sign in as Elif Demir: she is a member of that team',
    '  3. npm run tenant -- assign "Default MishikaLLM Prod Team"',
    '     sign in as Elif again: the team has default_team_params (config/mishikallm.yaml)',
    '  npm run sync                reconciles now, against this tenant and these tables',
    '  npm run tenant -- groups    the tenant as it is now (npm run tenant -- help: every verb)',
  ];
}

export function stackBanner(
  record: StackRecord,
  configured: ConfiguredSettings,
  locations: StackLocations,
): string {
  const host =
    record.functions.host === 'func'
      ? 'func start (Azure Functions Core Tools)'
      : 'the local stand-in host (Core Tools not on PATH)';
  const fromFile =
    configured.fromFile.length === 0
      ? `  Settings   none from ${shown(locations.localSettingsFile)} (not found or empty)`
      : `  Settings   from ${shown(locations.localSettingsFile)}: ${configured.fromFile.join(', ')}`;
  return [
    '',
    `Local stack running (Ctrl+C stops it; data in ${locations.dataDir}):`,
    `  Functions  ${record.functions.url} on ${host}`,
    ...entraLines(record, configured),
    ...storageLines(record, configured),
    fromFile,
    '',
    ...walkthrough(record),
    '',
  ].join('\n');
}
