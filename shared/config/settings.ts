import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SyncServiceError } from '../errors.js';
import { parseNcrontab } from './ncrontab.js';
import {
  appRoleValueSchema,
  defaultTeamParamsSchema,
  defaultUserParamsSchema,
  roleMappingsSchema,
  settingsFileSchema,
  type DefaultTeamParams,
  type DefaultUserParams,
  type RoleMappings,
} from './params.js';

export type GraphAuth = 'client_secret' | 'certificate' | 'managed_identity';
export type GroupMembership = 'transitive' | 'direct';
/** Who may get a user row at sign-in: the app's assigned users (directly or by group), or anyone. */
export type SignInUsers = 'assigned' | 'any';

export type TablesConnection =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'endpoint'; endpoint: string }
  | { kind: 'azurite' };

/** Where the `group-sync` queue lives: like the tables, a connection string, identity, or Azurite. */
export type QueuesConnection =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'endpoint'; endpoint: string }
  | { kind: 'azurite' };

export interface Settings {
  readonly entra: {
    readonly tenantId: string;
    readonly clientId: string;
    readonly clientSecret: string | undefined;
    readonly clientCertificatePath: string | undefined;
    readonly appIdUri: string;
    readonly servicePrincipalId: string | undefined;
    readonly authorityHost: string;
    readonly graphEndpoint: string;
    readonly graphAuth: GraphAuth;
    readonly managedIdentityClientId: string | undefined;
    readonly groupsClaimAuthoritative: boolean;
    readonly assignedGroupsCacheSeconds: number;
    /** Client apps besides this one whose access tokens for this app are accepted. */
    readonly allowedClientAppIds: readonly string[];
  };
  readonly tables: TablesConnection & { readonly prefix: string };
  readonly queues: QueuesConnection;
  readonly notifications: {
    /** Where Graph posts change and lifecycle notifications; unset turns notifications off. */
    readonly url: string | undefined;
    /** The subscription's clientState; unset: generated once and kept in SyncState. */
    readonly clientState: string | undefined;
  };
  readonly sync: {
    readonly schedule: string;
    /** NCRONTAB of the delta rounds (`DELTA_SCHEDULE`). */
    readonly deltaSchedule: string;
    /**
     * A delta round lists `appRoleAssignedTo` only when the last listing is older than this
     * (`DELTA_ASSIGNMENT_CHECK_SECONDS`; 0: every round): Graph has no delta for assignments.
     */
    readonly deltaAssignmentCheckSeconds: number;
    readonly groupMembership: GroupMembership;
    readonly maxMembershipRemovalsPerRun: number;
    /** A full pass over more assigned groups than this fans out on `group-sync` (docs/scaling.md). */
    readonly fanOutGroups: number;
    /** Assigned groups per share of a fanned-out full pass. */
    readonly shareGroups: number;
  };
  readonly login: {
    readonly postLoginRedirectUrl: string;
    readonly allowedRedirectOrigins: readonly string[];
    readonly sessionSecret: string | undefined;
  };
  readonly defaults: {
    readonly team: DefaultTeamParams;
    readonly user: DefaultUserParams;
  };
  /** Who is synced, and which MishikaLLM role their Entra app roles give them (shared/auth/roles.ts). */
  readonly access: {
    readonly signInUsers: SignInUsers;
    /** App role value → user role, besides values that are a role's name (`role_mappings`). */
    readonly roleMappings: RoleMappings;
    /** The app role value whose holders administer the console (besides `proxy_admin`). */
    readonly consoleAdminRole: string;
  };
}

/** The full pass is the safety net; sign-ins, notifications and delta rounds keep teams fresh. */
export const DEFAULT_SYNC_SCHEDULE = '0 0 */6 * * *';
export const DEFAULT_DELTA_SCHEDULE = '0 */5 * * * *';
/** Every sixth default delta round lists the assignments (docs/design-notes.md, 2026-12-02). */
export const DEFAULT_DELTA_ASSIGNMENT_CHECK_SECONDS = 1800;
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const DEFAULT_GRAPH_ENDPOINT = 'https://graph.microsoft.com';

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    error: 'a GUID like 00000000-0000-0000-0000-000000000000',
  })
  .transform((value) => value.toLowerCase());

const httpsUrl = z
  .url({ protocol: /^https$/, error: 'an https:// URL' })
  .transform((value) => value.replace(/\/+$/, ''));

/** Graph posts to https only; a loopback http URL is for the local stand-in host. */
const notificationUrl = z
  .url({ protocol: /^https?$/, error: 'an https:// URL (http:// only for localhost)' })
  .refine(
    (value) => {
      // Refinements run even when the URL check failed: parse without throwing.
      const url = URL.parse(value);
      return (
        url !== null &&
        (url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))
      );
    },
    { error: 'an https:// URL (http:// only for localhost)' },
  );

const boolean = z
  .enum(['true', 'false', '1', '0'], { error: 'true or false' })
  .transform((value) => value === 'true' || value === '1');

function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, { error: `a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `a whole number from ${min} to ${max}` })
        .max(max, { error: `a whole number from ${min} to ${max}` }),
    );
}

const ncrontab = z.string().superRefine((value, context) => {
  const parsed = parseNcrontab(value);
  if (!parsed.ok) {
    context.addIssue({
      code: 'custom',
      message: `an NCRONTAB expression (second minute hour day month day-of-week): ${parsed.reason}`,
    });
  }
});

function jsonOf<T extends z.ZodType>(schema: T) {
  return z.string().transform((text, context): z.output<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      context.addIssue({ code: 'custom', message: 'a JSON object' });
      return z.NEVER;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        context.addIssue({
          code: 'custom',
          message: `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`,
          // An unknown key is often a secret pasted into the wrong place: name it, never show it.
          ...(issue.code === 'unrecognized_keys' ? { params: { hideValue: true } } : {}),
        });
      }
      return z.NEVER;
    }
    return result.data;
  });
}

/** `a, b ,c` → ['a', 'b', 'c'], each item checked; unset or blank → []. */
function commaSeparated<T extends z.ZodType<unknown, string>>(item: T, error?: string) {
  return z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    )
    .pipe(z.array(item, error === undefined ? undefined : { error }))
    .default([]);
}

const environmentSchema = z.object({
  ENTRA_TENANT_ID: guid,
  ENTRA_CLIENT_ID: guid,
  ENTRA_CLIENT_SECRET: z.string().optional(),
  ENTRA_CLIENT_CERTIFICATE_PATH: z.string().optional(),
  ENTRA_APP_ID_URI: z.string().min(1).optional(),
  ENTRA_SERVICE_PRINCIPAL_ID: guid.optional(),
  ENTRA_AUTHORITY_HOST: httpsUrl.default(DEFAULT_AUTHORITY_HOST),
  GRAPH_ENDPOINT: httpsUrl.default(DEFAULT_GRAPH_ENDPOINT),
  GRAPH_AUTH: z
    .enum(['client_secret', 'certificate', 'managed_identity'], {
      error: 'client_secret, certificate or managed_identity',
    })
    .optional(),
  AZURE_CLIENT_ID: guid.optional(),
  GROUPS_CLAIM_AUTHORITATIVE: boolean.default(false),
  ASSIGNED_GROUPS_CACHE_SECONDS: wholeNumber(0, 3600).default(5),
  TABLES_CONNECTION_STRING: z
    .string()
    .regex(/(^|;)\s*(TableEndpoint|AccountName|UseDevelopmentStorage)\s*=/i, {
      error: 'a storage connection string (AccountName=...;AccountKey=... or TableEndpoint=...)',
    })
    .optional(),
  TABLES_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'a URL like https://<account>.table.core.windows.net' })
    .optional(),
  QUEUES_CONNECTION_STRING: z
    .string()
    .regex(/(^|;)\s*(QueueEndpoint|AccountName|UseDevelopmentStorage)\s*=/i, {
      error: 'a storage connection string (AccountName=...;AccountKey=... or QueueEndpoint=...)',
    })
    .optional(),
  QUEUES_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'a URL like https://<account>.queue.core.windows.net' })
    .optional(),
  NOTIFICATION_URL: notificationUrl.optional(),
  // Graph caps clientState at 128 characters; it is compared, never shown.
  NOTIFICATION_CLIENT_STATE: z
    .string()
    .regex(/^[\x21-\x7e]{32,128}$/, { error: '32 to 128 printable ASCII characters' })
    .optional(),
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, {
      error: 'letters and digits, starting with a letter, at most 40 characters',
    })
    .default(''),
  SYNC_SCHEDULE: ncrontab.default(DEFAULT_SYNC_SCHEDULE),
  DELTA_SCHEDULE: ncrontab.default(DEFAULT_DELTA_SCHEDULE),
  DELTA_ASSIGNMENT_CHECK_SECONDS: wholeNumber(0, 21600).default(
    DEFAULT_DELTA_ASSIGNMENT_CHECK_SECONDS,
  ),
  GROUP_MEMBERSHIP: z
    .enum(['transitive', 'direct'], { error: 'transitive or direct' })
    .default('transitive'),
  MAX_MEMBERSHIP_REMOVALS_PER_RUN: wholeNumber(0, 1_000_000).default(500),
  FULL_PASS_FAN_OUT_GROUPS: wholeNumber(0, 1_000_000).default(2000),
  FULL_PASS_SHARE_GROUPS: wholeNumber(1, 500).default(200),
  POST_LOGIN_REDIRECT_URL: z.string().default('/api/console'),
  ALLOWED_REDIRECT_ORIGINS: commaSeparated(
    z.url({ error: 'a comma-separated list of origins like https://proxy.example.com' }),
  ),
  ALLOWED_CLIENT_APP_IDS: commaSeparated(
    guid,
    'a comma-separated list of application (client) ids',
  ),
  SESSION_SECRET: z
    .string()
    .min(32, { error: 'a random string of at least 32 characters' })
    .optional(),
  MISHIKALLM_CONFIG: z.string().optional(),
  DEFAULT_TEAM_PARAMS: jsonOf(defaultTeamParamsSchema).optional(),
  DEFAULT_INTERNAL_USER_PARAMS: jsonOf(defaultUserParamsSchema).optional(),
  SIGN_IN_USERS: z.enum(['assigned', 'any'], { error: 'assigned or any' }).default('assigned'),
  ROLE_MAPPINGS: jsonOf(roleMappingsSchema).optional(),
  CONSOLE_ADMIN_ROLE: appRoleValueSchema.default('proxy_admin'),
});

/** Every setting the service reads, by name (the infra and example-file tests check these). */
export const SETTING_NAMES: readonly string[] = Object.keys(environmentSchema.shape);

type Environment = Readonly<Record<string, string | undefined>>;

function quote(value: unknown): string {
  if (value === undefined) return '(not set)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `"${text.length > 80 ? `${text.slice(0, 77)}...` : text}"`;
}

/** Connection-string parts that say where, not how to get in: safe to show. */
const PUBLIC_CONNECTION_PARTS = new Set([
  'accountname',
  'tableendpoint',
  'queueendpoint',
  'endpointsuffix',
  'defaultendpointsprotocol',
  'usedevelopmentstorage',
]);

/** A key or a public value as it can look: anything else may have a secret run into it. */
const CONNECTION_KEY = /^[A-Za-z]+$/;
const PUBLIC_VALUE = /^[A-Za-z0-9.:/-]*$/;

/**
 * `AccountName=dev;AccountKey=(hidden)`: the parts that locate the account, no secret at all.
 * A malformed string (`AccountName=dev,AccountKey=…`, a SAS on an endpoint) shows a part only
 * when its value looks like a name or a URL without a query, so a key never rides along.
 */
function redactConnectionString(value: string): string {
  return value
    .split(';')
    .filter((part) => part.trim().length > 0)
    .map((part) => {
      const separator = part.indexOf('=');
      const key = separator < 0 ? '' : part.slice(0, separator).trim();
      if (!CONNECTION_KEY.test(key)) return '(hidden)';
      const shown = part.slice(separator + 1).trim();
      return PUBLIC_CONNECTION_PARTS.has(key.toLowerCase()) && PUBLIC_VALUE.test(shown)
        ? `${key}=${shown}`
        : `${key}=(hidden)`;
    })
    .join(';');
}

/** How each secret-bearing setting is shown in a start-up error: never its secret, not in part. */
const SECRET_SETTINGS: Readonly<Record<string, (value: string) => string>> = {
  ENTRA_CLIENT_SECRET: () => '(hidden)',
  SESSION_SECRET: () => '(hidden)',
  NOTIFICATION_CLIENT_STATE: () => '(hidden)',
  QUEUES_CONNECTION_STRING: (value) => quote(redactConnectionString(value)),
  TABLES_CONNECTION_STRING: (value) => quote(redactConnectionString(value)),
};

/** Said instead of a value that may hold a secret (unknown keys, a section of the YAML file). */
const NOT_SHOWN = '(not shown)';

function settingProblem(name: string, value: unknown, expected: string, hide = false): string {
  const redact = SECRET_SETTINGS[name];
  const shown = hide
    ? NOT_SHOWN
    : redact !== undefined && value !== undefined
      ? redact(typeof value === 'string' ? value : JSON.stringify(value))
      : quote(value);
  return `${name} = ${shown}: expected ${expected}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function invalid(problems: readonly string[]): SyncServiceError {
  return new SyncServiceError(
    'config_invalid',
    `Invalid settings:\n  - ${problems.join('\n  - ')}`,
  );
}

/**
 * For a connection string that passed the checks here but that the Storage SDK refuses (a SAS
 * it cannot parse): the same start-up message, naming the setting, showing none of it.
 */
export function unusableConnectionString(name: string, cause: unknown): SyncServiceError {
  return new SyncServiceError(
    'config_invalid',
    `Invalid settings:\n  - ${name} = ${NOT_SHOWN}: expected a connection string the Storage SDK accepts (AccountName=...;AccountKey=..., or an endpoint with SharedAccessSignature=...)`,
    { cause },
  );
}

interface SettingsFile {
  team?: DefaultTeamParams | undefined;
  user?: DefaultUserParams | undefined;
  roleMappings?: RoleMappings | undefined;
}

function readSettingsFile(path: string, baseDirectory: string): SettingsFile {
  const fullPath = resolve(baseDirectory, path);
  let text: string;
  try {
    text = readFileSync(fullPath, 'utf8');
  } catch (cause) {
    throw new SyncServiceError(
      'config_invalid',
      `Invalid settings:\n  - ${settingProblem('MISHIKALLM_CONFIG', path, `a readable YAML file (${fullPath}: ${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`)}`,
      { cause },
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (cause) {
    throw invalid([
      settingProblem(
        'MISHIKALLM_CONFIG',
        path,
        `valid YAML (${(cause as Error).message.split('\n')[0] ?? ''})`,
      ),
    ]);
  }
  const parsed = settingsFileSchema.safeParse(document ?? {});
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((issue) => {
        const value = valueAt(document, issue.path);
        // The file may be the proxy's own config, secrets and all: a mapping is not shown.
        const hide =
          issue.code === 'unrecognized_keys' ||
          (value !== null && typeof value === 'object' && !Array.isArray(value));
        return settingProblem(`${path}: ${issue.path.join('.')}`, value, issue.message, hide);
      }),
    );
  }
  const section = parsed.data.mishikallm_settings;
  return {
    team: section?.default_team_params,
    user: section?.default_internal_user_params,
    roleMappings: section?.role_mappings,
  };
}

function blankAsUnset(environment: Environment): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(environment)) {
    result[name] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  return result;
}

/**
 * Reads every setting once. Throws one `config_invalid` error listing each bad setting with
 * its value and what was expected; nothing starts on a half-valid configuration.
 */
export function loadSettings(
  environment: Environment = process.env,
  options: { baseDirectory?: string } = {},
): Settings {
  const values = blankAsUnset(environment);
  const parsed = environmentSchema.safeParse(values);
  if (!parsed.success) {
    // One issue that must not show the value (an unknown key) hides it in every issue.
    const hidden = new Set(
      parsed.error.issues
        .filter((issue) => issue.code === 'custom' && issue.params?.hideValue === true)
        .map((issue) => String(issue.path[0])),
    );
    throw invalid(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'settings');
        const detail = issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : '';
        const expected =
          issue.code === 'invalid_type' && values[name] === undefined
            ? 'a value (this setting is required)'
            : issue.message;
        return settingProblem(name, values[name], `${expected}${detail}`, hidden.has(name));
      }),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];
  if (env.TABLES_CONNECTION_STRING !== undefined && env.TABLES_ENDPOINT !== undefined) {
    problems.push(
      settingProblem(
        'TABLES_ENDPOINT',
        env.TABLES_ENDPOINT,
        'to be unset when TABLES_CONNECTION_STRING is set (choose one)',
      ),
    );
  }
  const graphAuth: GraphAuth =
    env.GRAPH_AUTH ??
    (env.ENTRA_CLIENT_SECRET !== undefined
      ? 'client_secret'
      : env.ENTRA_CLIENT_CERTIFICATE_PATH !== undefined
        ? 'certificate'
        : 'managed_identity');
  if (graphAuth === 'client_secret' && env.ENTRA_CLIENT_SECRET === undefined) {
    problems.push(
      settingProblem(
        'ENTRA_CLIENT_SECRET',
        undefined,
        'a value because GRAPH_AUTH is client_secret',
      ),
    );
  }
  if (graphAuth === 'certificate' && env.ENTRA_CLIENT_CERTIFICATE_PATH === undefined) {
    problems.push(
      settingProblem(
        'ENTRA_CLIENT_CERTIFICATE_PATH',
        undefined,
        'a PEM file path because GRAPH_AUTH is certificate',
      ),
    );
  }
  if (env.QUEUES_CONNECTION_STRING !== undefined && env.QUEUES_ENDPOINT !== undefined) {
    problems.push(
      settingProblem(
        'QUEUES_ENDPOINT',
        env.QUEUES_ENDPOINT,
        'to be unset when QUEUES_CONNECTION_STRING is set (choose one)',
      ),
    );
  }
  if (problems.length > 0) throw invalid(problems);

  const file =
    env.MISHIKALLM_CONFIG === undefined
      ? {}
      : readSettingsFile(env.MISHIKALLM_CONFIG, options.baseDirectory ?? process.cwd());

  const tables: TablesConnection =
    env.TABLES_CONNECTION_STRING !== undefined
      ? { kind: 'connection-string', connectionString: env.TABLES_CONNECTION_STRING }
      : env.TABLES_ENDPOINT !== undefined
        ? { kind: 'endpoint', endpoint: env.TABLES_ENDPOINT }
        : { kind: 'azurite' };

  const queues: QueuesConnection =
    env.QUEUES_CONNECTION_STRING !== undefined
      ? { kind: 'connection-string', connectionString: env.QUEUES_CONNECTION_STRING }
      : env.QUEUES_ENDPOINT !== undefined
        ? { kind: 'endpoint', endpoint: env.QUEUES_ENDPOINT }
        : { kind: 'azurite' };

  return {
    entra: {
      tenantId: env.ENTRA_TENANT_ID,
      clientId: env.ENTRA_CLIENT_ID,
      clientSecret: env.ENTRA_CLIENT_SECRET,
      clientCertificatePath: env.ENTRA_CLIENT_CERTIFICATE_PATH,
      appIdUri: env.ENTRA_APP_ID_URI ?? `api://${env.ENTRA_CLIENT_ID}`,
      servicePrincipalId: env.ENTRA_SERVICE_PRINCIPAL_ID,
      authorityHost: env.ENTRA_AUTHORITY_HOST,
      graphEndpoint: env.GRAPH_ENDPOINT,
      graphAuth,
      managedIdentityClientId: env.AZURE_CLIENT_ID,
      groupsClaimAuthoritative: env.GROUPS_CLAIM_AUTHORITATIVE,
      assignedGroupsCacheSeconds: env.ASSIGNED_GROUPS_CACHE_SECONDS,
      allowedClientAppIds: env.ALLOWED_CLIENT_APP_IDS,
    },
    tables: { ...tables, prefix: env.TABLE_PREFIX },
    queues,
    notifications: { url: env.NOTIFICATION_URL, clientState: env.NOTIFICATION_CLIENT_STATE },
    sync: {
      schedule: env.SYNC_SCHEDULE,
      deltaSchedule: env.DELTA_SCHEDULE,
      deltaAssignmentCheckSeconds: env.DELTA_ASSIGNMENT_CHECK_SECONDS,
      groupMembership: env.GROUP_MEMBERSHIP,
      maxMembershipRemovalsPerRun: env.MAX_MEMBERSHIP_REMOVALS_PER_RUN,
      fanOutGroups: env.FULL_PASS_FAN_OUT_GROUPS,
      shareGroups: env.FULL_PASS_SHARE_GROUPS,
    },
    login: {
      postLoginRedirectUrl: env.POST_LOGIN_REDIRECT_URL,
      allowedRedirectOrigins: env.ALLOWED_REDIRECT_ORIGINS.map((origin) => new URL(origin).origin),
      sessionSecret: env.SESSION_SECRET,
    },
    // A JSON setting replaces the file's section as a whole: app settings are how operators
    // override what was deployed, and a per-key merge would make the result hard to predict.
    defaults: {
      team: env.DEFAULT_TEAM_PARAMS ?? file.team ?? {},
      user: env.DEFAULT_INTERNAL_USER_PARAMS ?? file.user ?? {},
    },
    access: {
      signInUsers: env.SIGN_IN_USERS,
      roleMappings: env.ROLE_MAPPINGS ?? file.roleMappings ?? {},
      consoleAdminRole: env.CONSOLE_ADMIN_ROLE,
    },
  };
}
