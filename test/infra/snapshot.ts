// Deployment snapshots: `bicep snapshot` evaluates main.bicep with a parameters file against a
// made-up subscription (scripts/bicep.mjs SNAPSHOT_TARGET) and lists the resources a deployment
// would create, with conditions and loops resolved. Nothing is sent to Azure.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isObject, repoRoot, text, type Json, type JsonObject } from './arm.js';

const run = promisify(execFile);
const snapshotDir = join(repoRoot, 'dist', 'infra', 'snapshots');

export interface PredictedResource {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly body: JsonObject;
  readonly properties: JsonObject;
}

export type Snapshot = readonly PredictedResource[];

/** The variables main.bicepparam needs without a default: enough to compile it. */
export const PLACEHOLDER_ENVIRONMENT = {
  AZURE_ENV_NAME: 'ci',
  ENTRA_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
  ENTRA_CLIENT_SECRET: 'placeholder-client-secret',
  SESSION_SECRET: 'placeholder-session-secret-of-at-least-32-characters',
  POST_LOGIN_REDIRECT_URL: 'https://mishikallm.example.com/ui',
} as const;

const OPTION_VARIABLES = new Set([
  'PRIVATE_NETWORKING',
  'VNET_ADDRESS_PREFIX',
  'APP_SUBNET_ID',
  'PRIVATE_ENDPOINT_SUBNET_ID',
  'PRIVATE_DNS_ZONE_ID_BLOB',
  'PRIVATE_DNS_ZONE_ID_TABLE',
  'PRIVATE_DNS_ZONE_ID_QUEUE',
  'PRIVATE_DNS_ZONE_ID_VAULT',
]);

/**
 * A snapshot of main.bicepparam (the parameters file azd uses) with these environment variables,
 * written to dist/infra/snapshots/<name>.bicepparam so that its `using` still finds main.bicep.
 */
export async function snapshotOf(
  name: string,
  environment: Record<string, string>,
): Promise<Snapshot> {
  mkdirSync(snapshotDir, { recursive: true });
  const parameters = readFileSync(join(repoRoot, 'infra', 'main.bicepparam'), 'utf8').replace(
    "using 'main.bicep'",
    "using '../../../infra/main.bicep'",
  );
  const file = join(snapshotDir, `${name}.bicepparam`);
  writeFileSync(file, parameters);
  // Only the variables given here: the private-networking ones may be set in the caller's shell.
  const inherited = Object.entries(process.env).filter(
    ([variable]) => !OPTION_VARIABLES.has(variable),
  );
  const env = { ...Object.fromEntries(inherited), ...PLACEHOLDER_ENVIRONMENT, ...environment };
  await run(process.execPath, [join(repoRoot, 'scripts', 'bicep.mjs'), 'snapshot', file], {
    cwd: repoRoot,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const json = JSON.parse(
    readFileSync(join(snapshotDir, `${name}.snapshot.json`), 'utf8'),
  ) as JsonObject;
  const predicted = json.predictedResources;
  return (Array.isArray(predicted) ? predicted : []).filter(isObject).map((body) => ({
    id: text(body.id),
    type: text(body.type),
    name: text(body.name),
    body,
    properties: isObject(body.properties) ? body.properties : {},
  }));
}

export function ofType(snapshot: Snapshot, type: string): PredictedResource[] {
  return snapshot.filter((resource) => resource.type.toLowerCase() === type.toLowerCase());
}

/** `Microsoft.Storage/storageAccounts/queueServices/queues` from a resource id. */
export function resourceTypeOf(id: string): string {
  const providers = id.lastIndexOf('/providers/');
  if (providers < 0) return `not a resource id (${id})`;
  const [namespace, ...rest] = id.slice(providers + '/providers/'.length).split('/');
  return [namespace, ...rest.filter((_, index) => index % 2 === 0)].join('/');
}

/** The last segment of a resource id: the resource's own name. */
export function resourceNameOf(id: string): string {
  return id.split('/').at(-1) ?? '';
}

/** The scope of an extension resource such as a role assignment, from its predicted id. */
export function scopeOf(resource: PredictedResource): string {
  return /^\[extensionResourceId\('([^']+)'/.exec(resource.id)?.[1] ?? `unscoped (${resource.id})`;
}

export function property(resource: PredictedResource, ...path: string[]): Json | undefined {
  let current: Json | undefined = resource.properties;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}
