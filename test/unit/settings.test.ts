import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/errors.js';
import { loadSettings, SETTING_NAMES } from '../../shared/config/settings.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-4333-8444-555555555555';
const base = {
  ENTRA_TENANT_ID: TENANT,
  ENTRA_CLIENT_ID: CLIENT,
  ENTRA_CLIENT_SECRET: 'secret-value',
};

function settingsFile(yaml: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'settings-'));
  const path = join(directory, 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

function rejection(environment: Record<string, string>): string {
  try {
    loadSettings(environment);
  } catch (error) {
    expect(isServiceError(error, 'config_invalid')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the settings to be rejected');
}

describe('settings', () => {
  it('are all listed in local.settings.example.json', () => {
    const example = JSON.parse(
      readFileSync(new URL('../../local.settings.example.json', import.meta.url), 'utf8'),
    ) as { Values: Record<string, string> };
    expect(SETTING_NAMES.filter((name) => !(name in example.Values))).toEqual([]);
  });

  it('applies the documented defaults', () => {
    const settings = loadSettings(base);
    expect(settings.entra).toMatchObject({
      tenantId: TENANT,
      clientId: CLIENT,
      appIdUri: `api://${CLIENT}`,
      authorityHost: 'https://login.microsoftonline.com',
      graphEndpoint: 'https://graph.microsoft.com',
      graphAuth: 'client_secret',
      groupsClaimAuthoritative: false,
      assignedGroupsCacheSeconds: 5,
    });
    expect(settings.tables).toEqual({ kind: 'azurite', prefix: '' });
    expect(settings.sync).toEqual({
      schedule: '0 0 */6 * * *',
      deltaSchedule: '0 */5 * * * *',
      deltaAssignmentCheckSeconds: 1800,
      groupMembership: 'transitive',
      maxMembershipRemovalsPerRun: 500,
      fanOutGroups: 2000,
      shareGroups: 200,
    });
    expect(settings.defaults).toEqual({ team: {}, user: {} });
    expect(settings.access).toEqual({
      signInUsers: 'assigned',
      roleMappings: {},
      consoleAdminRole: 'proxy_admin',
    });
  });

  it('reads role_mappings from the settings file, and ROLE_MAPPINGS replaces them as a whole', () => {
    const path = settingsFile(`
mishikallm_settings:
  role_mappings:
    LLM.Admin: proxy_admin
    LLM.User: internal_user
`);
    expect(loadSettings({ ...base, MISHIKALLM_CONFIG: path }).access.roleMappings).toEqual({
      'LLM.Admin': 'proxy_admin',
      'LLM.User': 'internal_user',
    });
    const replaced = loadSettings({
      ...base,
      MISHIKALLM_CONFIG: path,
      ROLE_MAPPINGS: '{"LLM.Viewer": "internal_user_viewer"}',
      SIGN_IN_USERS: 'any',
      CONSOLE_ADMIN_ROLE: 'Console.Admin',
    });
    expect(replaced.access).toEqual({
      signInUsers: 'any',
      roleMappings: { 'LLM.Viewer': 'internal_user_viewer' },
      consoleAdminRole: 'Console.Admin',
    });
  });

  it('reads the default params from the YAML settings file', () => {
    const path = settingsFile(`
model_list: []
mishikallm_settings:
  default_team_params:
    max_budget: 100
    budget_duration: 30d
    models: ["gpt-3.5-turbo"]
    tpm_limit: 100000
    rpm_limit: 1000
  default_internal_user_params:
    user_role: internal_user
    max_budget: 10
    budget_duration: 30d
    models: []
`);
    const settings = loadSettings({ ...base, MISHIKALLM_CONFIG: path });
    expect(settings.defaults.team).toEqual({
      max_budget: 100,
      budget_duration: '30d',
      models: ['gpt-3.5-turbo'],
      tpm_limit: 100000,
      rpm_limit: 1000,
    });
    expect(settings.defaults.user).toEqual({
      user_role: 'internal_user',
      max_budget: 10,
      budget_duration: '30d',
      models: [],
    });
  });

  it('lets a JSON app setting replace the file section as a whole', () => {
    const path = settingsFile(`
mishikallm_settings:
  default_team_params: { max_budget: 100, models: ["a"] }
  default_internal_user_params: { max_budget: 10 }
`);
    const settings = loadSettings({
      ...base,
      MISHIKALLM_CONFIG: path,
      DEFAULT_TEAM_PARAMS: '{"max_budget": 5}',
    });
    expect(settings.defaults.team).toEqual({ max_budget: 5 });
    expect(settings.defaults.user).toEqual({ max_budget: 10 });
  });

  it('chooses the table connection from the settings', () => {
    expect(
      loadSettings({ ...base, TABLES_ENDPOINT: 'https://acct.table.core.windows.net' }).tables,
    ).toEqual({ kind: 'endpoint', endpoint: 'https://acct.table.core.windows.net', prefix: '' });
    expect(
      loadSettings({
        ...base,
        TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true',
        TABLE_PREFIX: 'dev',
      }).tables,
    ).toEqual({
      kind: 'connection-string',
      connectionString: 'UseDevelopmentStorage=true',
      prefix: 'dev',
    });
  });

  it('chooses the queue connection, and turns notifications on with NOTIFICATION_URL', () => {
    const off = loadSettings(base);
    expect(off.queues).toEqual({ kind: 'azurite' });
    expect(off.notifications).toEqual({ url: undefined, clientState: undefined });
    const on = loadSettings({
      ...base,
      QUEUES_ENDPOINT: 'https://acct.queue.core.windows.net',
      NOTIFICATION_URL: 'https://func-x.azurewebsites.net/api/graph/notifications',
      NOTIFICATION_CLIENT_STATE: 'c'.repeat(40),
    });
    expect(on.queues).toEqual({
      kind: 'endpoint',
      endpoint: 'https://acct.queue.core.windows.net',
    });
    expect(on.notifications).toEqual({
      url: 'https://func-x.azurewebsites.net/api/graph/notifications',
      clientState: 'c'.repeat(40),
    });
    // The stand-in host is http on loopback; Graph itself posts to https only.
    expect(
      loadSettings({ ...base, NOTIFICATION_URL: 'http://localhost:7071/api/graph/notifications' })
        .notifications.url,
    ).toBe('http://localhost:7071/api/graph/notifications');
    expect(
      rejection({
        ...base,
        NOTIFICATION_URL: 'http://func-x.azurewebsites.net/api/graph/notifications',
      }),
    ).toContain('NOTIFICATION_URL = "http://func-x.azurewebsites.net/api/graph/notifications"');
  });

  it('never shows the clientState or a queue account key in a start-up error', () => {
    const secret = 'short secret that is not valid';
    const message = rejection({ ...base, NOTIFICATION_CLIENT_STATE: secret });
    expect(message).toContain('NOTIFICATION_CLIENT_STATE = (hidden)');
    expect(message).not.toContain(secret);
    const both = rejection({
      ...base,
      QUEUES_CONNECTION_STRING: 'AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;QueueEndpoint=x',
      QUEUES_ENDPOINT: 'https://acct.queue.core.windows.net',
    });
    expect(both).toContain('QUEUES_ENDPOINT');
    expect(both).not.toContain('c2VjcmV0LWtleQ');
    const bad = rejection({ ...base, QUEUES_CONNECTION_STRING: 'AccountKey=c2VjcmV0LWtleQ==' });
    expect(bad).toContain('QUEUES_CONNECTION_STRING = "AccountKey=(hidden)"');
  });

  it('uses managed identity for Graph when no client credential is set', () => {
    const settings = loadSettings({ ENTRA_TENANT_ID: TENANT, ENTRA_CLIENT_ID: CLIENT });
    expect(settings.entra.graphAuth).toBe('managed_identity');
  });

  it('treats blank app settings as unset', () => {
    expect(loadSettings({ ...base, SYNC_SCHEDULE: '  ', TABLE_PREFIX: '' }).sync.schedule).toBe(
      '0 0 */6 * * *',
    );
  });

  describe('rejects, naming the setting, the value and what is expected:', () => {
    it('a tenant id that is not a GUID', () => {
      expect(rejection({ ...base, ENTRA_TENANT_ID: 'contoso.onmicrosoft.com' })).toContain(
        'ENTRA_TENANT_ID = "contoso.onmicrosoft.com": expected a GUID',
      );
    });

    it('a missing client id', () => {
      expect(rejection({ ENTRA_TENANT_ID: TENANT })).toContain(
        'ENTRA_CLIENT_ID = (not set): expected a value (this setting is required)',
      );
    });

    it('an invalid NCRONTAB', () => {
      expect(rejection({ ...base, SYNC_SCHEDULE: '*/30 * * * *' })).toMatch(
        /SYNC_SCHEDULE = "\*\/30 \* \* \* \*": expected an NCRONTAB expression .*has 5 fields/,
      );
      expect(rejection({ ...base, SYNC_SCHEDULE: '0 */30 25 * * *' })).toMatch(
        /SYNC_SCHEDULE = .*"25" is not valid in the hour field/,
      );
    });

    it('a negative budget in the settings file', () => {
      const path = settingsFile(
        'mishikallm_settings:\n  default_team_params:\n    max_budget: -5\n',
      );
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toContain(
        `${path}: mishikallm_settings.default_team_params.max_budget = "-5": expected a budget >= 0`,
      );
    });

    it('a budget_duration of 30x', () => {
      const path = settingsFile(
        'mishikallm_settings:\n  default_internal_user_params:\n    budget_duration: 30x\n',
      );
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toContain(
        'default_internal_user_params.budget_duration = "30x": expected a duration like 30s, 15m, 24h, 30d or 1mo',
      );
    });

    it('an unknown key in the default params', () => {
      const path = settingsFile(
        'mishikallm_settings:\n  default_team_params:\n    max_budgte: 5\n',
      );
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toMatch(
        /default_team_params = .*: expected only known keys \(unknown: max_budgte; known: max_budget,/,
      );
    });

    it('a models list that is not a list', () => {
      expect(rejection({ ...base, DEFAULT_TEAM_PARAMS: '{"models": "gpt-4o"}' })).toContain(
        'DEFAULT_TEAM_PARAMS = "{"models": "gpt-4o"}": expected models: a list of model names',
      );
    });

    it('a JSON setting that is not JSON', () => {
      expect(rejection({ ...base, DEFAULT_INTERNAL_USER_PARAMS: '{max_budget: 1' })).toContain(
        'DEFAULT_INTERNAL_USER_PARAMS = "{max_budget: 1": expected a JSON object',
      );
    });

    it('a settings file that does not exist', () => {
      expect(rejection({ ...base, MISHIKALLM_CONFIG: '/nonexistent/config.yaml' })).toContain(
        'MISHIKALLM_CONFIG = "/nonexistent/config.yaml": expected a readable YAML file',
      );
    });

    it('a settings file that is not YAML', () => {
      const path = settingsFile('mishikallm_settings: [unclosed');
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toMatch(/expected valid YAML/);
    });

    it('a SIGN_IN_USERS that is neither assigned nor any', () => {
      expect(rejection({ ...base, SIGN_IN_USERS: 'everyone' })).toContain(
        'SIGN_IN_USERS = "everyone": expected assigned or any',
      );
    });

    it('a ROLE_MAPPINGS that is not JSON', () => {
      expect(rejection({ ...base, ROLE_MAPPINGS: '{LLM.Admin: proxy_admin' })).toContain(
        'ROLE_MAPPINGS = "{LLM.Admin: proxy_admin": expected a JSON object',
      );
    });

    it('a ROLE_MAPPINGS that maps to a role MishikaLLM does not have', () => {
      expect(rejection({ ...base, ROLE_MAPPINGS: '{"LLM.Admin": "admin"}' })).toContain(
        'ROLE_MAPPINGS = "{"LLM.Admin": "admin"}": expected LLM.Admin: one of proxy_admin, proxy_admin_viewer, internal_user, internal_user_viewer',
      );
    });

    it('a role_mappings entry in the file that maps to a role MishikaLLM does not have', () => {
      const path = settingsFile('mishikallm_settings:\n  role_mappings:\n    LLM.Admin: admin\n');
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toContain(
        `${path}: mishikallm_settings.role_mappings.LLM.Admin = "admin": expected one of proxy_admin,`,
      );
    });

    it('a role_mappings that is not a mapping', () => {
      const path = settingsFile('mishikallm_settings:\n  role_mappings: [proxy_admin]\n');
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toContain(
        'mishikallm_settings.role_mappings = "["proxy_admin"]": expected a mapping of app role values to proxy_admin,',
      );
    });

    it('a role_mappings key that cannot be an app role value', () => {
      const path = settingsFile(
        'mishikallm_settings:\n  role_mappings:\n    "LLM Admin": proxy_admin\n',
      );
      expect(rejection({ ...base, MISHIKALLM_CONFIG: path })).toContain(
        'role_mappings.LLM Admin = "proxy_admin": expected an app role value (no spaces, not starting with \'.\', at most 250 characters) as the key',
      );
    });

    it('a CONSOLE_ADMIN_ROLE that cannot be an app role value', () => {
      expect(rejection({ ...base, CONSOLE_ADMIN_ROLE: 'Console Admin' })).toContain(
        'CONSOLE_ADMIN_ROLE = "Console Admin": expected an app role value (no spaces',
      );
    });

    it('a group membership mode that does not exist', () => {
      expect(rejection({ ...base, GROUP_MEMBERSHIP: 'nested' })).toContain(
        'GROUP_MEMBERSHIP = "nested": expected transitive or direct',
      );
    });

    it('a removal limit that is not a whole number', () => {
      expect(rejection({ ...base, MAX_MEMBERSHIP_REMOVALS_PER_RUN: '-1' })).toContain(
        'MAX_MEMBERSHIP_REMOVALS_PER_RUN = "-1": expected a whole number',
      );
    });

    it('an http authority host', () => {
      expect(rejection({ ...base, ENTRA_AUTHORITY_HOST: 'http://login.example' })).toContain(
        'ENTRA_AUTHORITY_HOST = "http://login.example": expected an https:// URL',
      );
    });

    it('a short session secret, without echoing it', () => {
      const message = rejection({ ...base, SESSION_SECRET: 'short' });
      expect(message).toContain(
        'SESSION_SECRET = (hidden): expected a random string of at least 32',
      );
      expect(message).not.toContain('short"');
    });

    it('a malformed connection string, showing where it points and no part of its key', () => {
      const key =
        'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
      const message = rejection({
        ...base,
        TABLES_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AcountName=prod;AccountKey=${key};EndpointSuffix=core.windows.net`,
      });
      expect(message).toContain(
        'TABLES_CONNECTION_STRING = "DefaultEndpointsProtocol=https;AcountName=(hidden);AccountKey=(hidden);',
      );
      for (let start = 0; start + 8 <= key.length; start += 8) {
        expect(message).not.toContain(key.slice(start, start + 8));
      }
    });

    it('a connection string that is only a key or a SAS, without echoing any of it', () => {
      const sas =
        'sv=2022-11-02&ss=t&srt=sco&sp=rwdlacu&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789%3D';
      for (const value of [sas, `SharedAccessSignature=${sas}`]) {
        const message = rejection({ ...base, TABLES_CONNECTION_STRING: value });
        expect(message).toContain('TABLES_CONNECTION_STRING = "');
        expect(message).not.toContain('AbCdEfGh');
        expect(message).not.toContain('rwdlacu');
      }
    });

    it('both a connection string and an endpoint', () => {
      expect(
        rejection({
          ...base,
          TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true',
          TABLES_ENDPOINT: 'https://a.table.core.windows.net',
        }),
      ).toContain('TABLES_ENDPOINT');
    });

    it('GRAPH_AUTH=client_secret without a secret', () => {
      expect(
        rejection({
          ENTRA_TENANT_ID: TENANT,
          ENTRA_CLIENT_ID: CLIENT,
          GRAPH_AUTH: 'client_secret',
        }),
      ).toContain(
        'ENTRA_CLIENT_SECRET = (not set): expected a value because GRAPH_AUTH is client_secret',
      );
    });

    it('a table prefix Table Storage would refuse', () => {
      expect(rejection({ ...base, TABLE_PREFIX: 'my-prefix' })).toContain(
        'TABLE_PREFIX = "my-prefix": expected letters and digits',
      );
    });

    it('several bad settings at once, in one message', () => {
      const message = rejection({
        ENTRA_TENANT_ID: 'x',
        ENTRA_CLIENT_ID: 'y',
        GROUP_MEMBERSHIP: 'z',
      });
      expect(message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(3);
    });
  });
});
