import { beforeAll, describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../shared/config/settings.js';
import {
  isObject,
  loadCompiledTemplate,
  moduleNamed,
  objectAt,
  parseTemplate,
  resourcesOfType,
  text,
  type ArmTemplate,
  type JsonObject,
} from './arm.js';
import {
  appSettingsOf,
  appSettingViolations,
  expectedAppSettings,
  functionAppViolations,
  keyVaultViolations,
  monitoringViolations,
  outputViolations,
  storageViolations,
} from './policy.js';

let template: ArmTemplate;

beforeAll(() => {
  template = loadCompiledTemplate();
}, 120_000);

/** A copy of the compiled template with one change made to its JSON. */
function mutated(change: (json: JsonObject) => void): ArmTemplate {
  const json = structuredClone(template.json);
  change(json);
  return parseTemplate(json);
}

function moduleResource(json: JsonObject, module: string, resource: string): JsonObject {
  return objectAt(json, 'resources', module, 'properties', 'template', 'resources', resource);
}

describe('compiled infra/main.bicep', () => {
  it('keeps storage private: no shared keys, no public blobs, TLS 1.2, HTTPS only', () => {
    expect(storageViolations(template)).toEqual([]);
  });

  it('runs the Function App on Flex Consumption, HTTPS only, TLS 1.2, no FTP, with a user-assigned identity', () => {
    expect(functionAppViolations(template)).toEqual([]);
  });

  it('sends telemetry to workspace-based Application Insights with local auth off', () => {
    expect(monitoringViolations(template)).toEqual([]);
  });

  it('keeps the three secrets in an RBAC-mode Key Vault, from secure parameters', () => {
    expect(keyVaultViolations(template)).toEqual([]);
  });

  it('has no output whose name or value carries a secret, key or connection string', () => {
    expect(outputViolations(template)).toEqual([]);
  });

  it('sets every app setting the service reads, and none that Flex Consumption rejects', () => {
    expect(appSettingViolations(template)).toEqual([]);
    expect(Object.keys(appSettingsOf(template))).toHaveLength(expectedAppSettings.length);
  });

  it("sets every setting shared/config reads, except the few Azure doesn't need", () => {
    // Identity-based storage replaces the connection string; secrets come from Key Vault, not a
    // file or certificate path; the default params travel as JSON settings, not as a file.
    const notSetInAzure = [
      'TABLES_CONNECTION_STRING',
      'QUEUES_CONNECTION_STRING',
      'ENTRA_CLIENT_CERTIFICATE_PATH',
      'MISHIKALLM_CONFIG',
    ];
    const settings = Object.keys(appSettingsOf(template));
    expect(SETTING_NAMES.filter((name) => !settings.includes(name)).sort()).toEqual(
      [...notSetInAzure].sort(),
    );
  });

  it('connects the host, Tables and Graph with the managed identity', () => {
    const settings = appSettingsOf(template);
    const clientId = "[parameters('identity').clientId]";
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(settings.AzureWebJobsStorage__clientId).toBe(clientId);
    expect(settings.AzureWebJobsStorage__accountName).toBe("[parameters('storageAccountName')]");
    expect(settings.AZURE_CLIENT_ID).toBe(clientId);
    expect(settings.GRAPH_AUTH).toBe('managed_identity');
    expect(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(
      "[format('ClientId={0};Authorization=AAD', parameters('identity').clientId)]",
    );
    const functionApp = moduleNamed(template, 'functionApp');
    expect(functionApp.parameters.identity).toEqual({
      resourceId: "[reference('identity').outputs.resourceId.value]",
      clientId: "[reference('identity').outputs.clientId.value]",
    });
    expect(settings.TABLES_ENDPOINT).toBe("[parameters('storageTableEndpoint')]");
    expect(functionApp.parameters.storageTableEndpoint).toBe(
      "[reference('storage').outputs.tableEndpoint.value]",
    );
    const storageOutputs = moduleNamed(template, 'storage').template.outputs;
    expect(storageOutputs.find((output) => output.name === 'tableEndpoint')?.value).toBe(
      "[format('https://{0}.table.{1}', parameters('name'), environment().suffixes.storage)]",
    );
  });

  it('reads ENTRA_CLIENT_SECRET and SESSION_SECRET through Key Vault references to the two secrets', () => {
    const settings = appSettingsOf(template);
    const functionApp = moduleNamed(template, 'functionApp');
    const keyVault = moduleNamed(template, 'keyVault');
    const cases = [
      ['ENTRA_CLIENT_SECRET', 'entraClientSecretEntry', 'entraClientSecret'],
      ['SESSION_SECRET', 'sessionSecretEntry', 'sessionSecret'],
    ] as const;
    for (const [setting, secretResource, mainParameter] of cases) {
      const reference =
        /^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)', parameters\('(\w+)'\)\)\]$/.exec(
          text(settings[setting]),
        );
      expect(reference, setting).not.toBeNull();
      const passed = text(functionApp.parameters[reference?.[1] ?? '']);
      const output = /^\[reference\('keyVault'\)\.outputs\.(\w+)\.value\]$/.exec(passed)?.[1];
      const outputValue = keyVault.template.outputs.find(({ name }) => name === output)?.value;
      expect(outputValue, setting).toBe(`[reference('${secretResource}').secretUri]`);
      expect(keyVault.parameters[mainParameter]).toBe(`[parameters('${mainParameter}')]`);
    }
  });

  it('feeds the service settings from the main parameters, with the documented defaults', () => {
    const settings = appSettingsOf(template);
    expect(settings.GROUPS_CLAIM_AUTHORITATIVE).toBe(
      "[if(parameters('settings').groupsClaimAuthoritative, 'true', 'false')]",
    );
    expect(settings.DEFAULT_TEAM_PARAMS).toBe("[string(parameters('settings').defaultTeamParams)]");
    expect(settings.DEFAULT_INTERNAL_USER_PARAMS).toBe(
      "[string(parameters('settings').defaultInternalUserParams)]",
    );
    expect(settings.ALLOWED_REDIRECT_ORIGINS).toBe(
      "[join(parameters('settings').allowedRedirectOrigins, ',')]",
    );
    expect(settings.ALLOWED_CLIENT_APP_IDS).toBe(
      "[join(parameters('settings').allowedClientAppIds, ',')]",
    );
    expect(settings.ROLE_MAPPINGS).toBe("[string(parameters('settings').roleMappings)]");

    const passed = objectAt(moduleNamed(template, 'functionApp').parameters, 'settings');
    const parameters = objectAt(template.json, 'parameters');
    const defaults: Record<string, unknown> = {
      syncSchedule: '0 0 */6 * * *',
      deltaSchedule: '0 */5 * * * *',
      groupMembership: 'transitive',
      maxMembershipRemovalsPerRun: 500,
      fullPassFanOutGroups: 2000,
      fullPassShareGroups: 200,
      assignedGroupsCacheSeconds: 5,
      groupsClaimAuthoritative: false,
      graphEndpoint: 'https://graph.microsoft.com',
      tablePrefix: '',
      entraServicePrincipalId: '',
      signInUsers: 'assigned',
      roleMappings: {},
      consoleAdminRole: 'proxy_admin',
    };
    for (const [name, value] of Object.entries(defaults)) {
      expect(passed[name], name).toBe(`[parameters('${name}')]`);
      expect(objectAt(parameters, name).defaultValue, name).toEqual(value);
    }
    expect(objectAt(parameters, 'groupMembership').allowedValues).toEqual(['transitive', 'direct']);
    expect(objectAt(parameters, 'signInUsers').allowedValues).toEqual(['assigned', 'any']);
    expect(text(objectAt(parameters, 'entraAuthorityHost').defaultValue)).toContain(
      'environment().authentication.loginEndpoint',
    );
    expect(passed.entraAppIdUri).toBe(
      "[if(empty(parameters('entraAppIdUri')), format('api://{0}', parameters('entraClientId')), parameters('entraAppIdUri'))]",
    );
    expect(Object.keys(objectAt(parameters, 'defaultTeamParams', 'defaultValue')).sort()).toEqual([
      'budget_duration',
      'max_budget',
      'models',
      'rpm_limit',
      'tpm_limit',
    ]);
    expect(
      Object.keys(objectAt(parameters, 'defaultInternalUserParams', 'defaultValue')).sort(),
    ).toEqual(['budget_duration', 'max_budget', 'models', 'user_role']);
    expect(objectAt(parameters, 'functionInstanceMemoryMB').allowedValues).toEqual([
      512, 2048, 4096,
    ]);
    expect(objectAt(parameters, 'functionMaximumInstanceCount').maxValue).toBe(1000);
  });

  it('creates the group-sync queue and its poison queue, reached by QUEUES_ENDPOINT', () => {
    expect(
      resourcesOfType(template, 'Microsoft.Storage/storageAccounts/queueServices/queues'),
    ).toHaveLength(1);
    expect(moduleNamed(template, 'storage').parameters.queueNames).toEqual([
      "[variables('groupSyncQueueName')]",
      "[format('{0}-poison', variables('groupSyncQueueName'))]",
    ]);
    expect(objectAt(template.json, 'variables').groupSyncQueueName).toBe('group-sync');
    const settings = appSettingsOf(template);
    expect(settings.QUEUES_ENDPOINT).toBe("[parameters('storageQueueEndpoint')]");
    expect(moduleNamed(template, 'functionApp').parameters.storageQueueEndpoint).toBe(
      "[reference('storage').outputs.queueEndpoint.value]",
    );
    const storageOutputs = moduleNamed(template, 'storage').template.outputs;
    expect(storageOutputs.find((output) => output.name === 'queueEndpoint')?.value).toBe(
      "[format('https://{0}.queue.{1}', parameters('name'), environment().suffixes.storage)]",
    );
  });

  it("points NOTIFICATION_URL at the app's own host name, and can turn it off", () => {
    const settings = appSettingsOf(template);
    expect(settings.NOTIFICATION_URL).toBe(
      "[if(parameters('settings').notificationUrlEnabled, format('https://{0}/api/graph/notifications', reference('functionApp').defaultHostName), '')]",
    );
    const passed = objectAt(moduleNamed(template, 'functionApp').parameters, 'settings');
    expect(passed.notificationUrlEnabled).toBe("[parameters('changeNotifications')]");
    expect(objectAt(template.json, 'parameters', 'changeNotifications').defaultValue).toBe(true);
  });

  it('reads NOTIFICATION_CLIENT_STATE through Key Vault, set or derived in the template, never output', () => {
    const settings = appSettingsOf(template);
    expect(settings.NOTIFICATION_CLIENT_STATE).toBe(
      "[format('@Microsoft.KeyVault(SecretUri={0})', parameters('notificationClientStateVaultReferenceUri'))]",
    );
    expect(
      moduleNamed(template, 'functionApp').parameters.notificationClientStateVaultReferenceUri,
    ).toBe("[reference('keyVault').outputs.notificationClientStateReferenceUri.value]");
    const keyVault = moduleNamed(template, 'keyVault');
    expect(
      keyVault.template.outputs.find(({ name }) => name === 'notificationClientStateReferenceUri')
        ?.value,
    ).toBe("[reference('notificationClientStateEntry').secretUri]");
    const passed = objectAt(template.json, 'resources', 'keyVault', 'properties', 'parameters');
    expect(passed.notificationClientState).toBe(
      "[if(empty(parameters('notificationClientState')), createObject('value', variables('derivedClientState')), createObject('value', parameters('notificationClientState')))]",
    );
    // Derived with a one-way hash of the session secret: stable across deployments.
    expect(objectAt(template.json, 'variables').derivedClientState).toBe(
      "[format('{0}{1}', guid(parameters('sessionSecret'), 'graph-notification-client-state'), guid(parameters('sessionSecret'), 'graph-notification-client-state', '2'))]",
    );
    expect(outputViolations(template)).toEqual([]);
  });

  it('creates the Teams and Users tables with the optional prefix', () => {
    expect(
      resourcesOfType(template, 'Microsoft.Storage/storageAccounts/tableServices/tables'),
    ).toHaveLength(1);
    expect(moduleNamed(template, 'storage').parameters.tableNames).toEqual([
      "[format('{0}Teams', parameters('tablePrefix'))]",
      "[format('{0}Users', parameters('tablePrefix'))]",
    ]);
  });
});

describe('the checks catch a wrong template', () => {
  it('storage with shared keys or public blobs or old TLS', () => {
    const wrong = mutated((json) => {
      const account = objectAt(moduleResource(json, 'storage', 'storageAccount'), 'properties');
      account.allowSharedKeyAccess = true;
      account.allowBlobPublicAccess = true;
      account.minimumTlsVersion = 'TLS1_0';
    });
    expect(storageViolations(wrong)).toEqual([
      'storage allowSharedKeyAccess is true, expected false',
      'storage allowBlobPublicAccess is true, expected false',
      'storage minimumTlsVersion is "TLS1_0", expected "TLS1_2"',
    ]);
  });

  it('a site that allows HTTP, FTP or TLS 1.0', () => {
    const wrong = mutated((json) => {
      const site = objectAt(moduleResource(json, 'functionApp', 'functionApp'), 'properties');
      site.httpsOnly = false;
      objectAt(site, 'siteConfig').ftpsState = 'AllAllowed';
      objectAt(site, 'siteConfig').minTlsVersion = '1.0';
    });
    expect(functionAppViolations(wrong)).toEqual([
      'site httpsOnly is false, expected true',
      'site minTlsVersion is "1.0", expected "1.2"',
      'site ftpsState is "AllAllowed", expected "Disabled"',
    ]);
  });

  it('Application Insights with local auth, Key Vault with access policies', () => {
    const wrong = mutated((json) => {
      objectAt(
        moduleResource(json, 'monitoring', 'applicationInsights'),
        'properties',
      ).DisableLocalAuth = false;
      const vault = objectAt(moduleResource(json, 'keyVault', 'vault'), 'properties');
      vault.enableRbacAuthorization = false;
      vault.accessPolicies = [];
    });
    expect(monitoringViolations(wrong)).toEqual([
      'Application Insights DisableLocalAuth is false, expected true',
    ]);
    expect(keyVaultViolations(wrong)).toEqual([
      'Key Vault enableRbacAuthorization is false, expected true',
      'Key Vault must not use access policies',
    ]);
  });

  it('an output that leaks a connection string or a secret', () => {
    const wrong = mutated((json) => {
      const outputs = objectAt(json, 'outputs');
      outputs.APPLICATIONINSIGHTS_CONNECTION_STRING = {
        type: 'string',
        value: "[reference('x').ConnectionString]",
      };
      outputs.SESSION = { type: 'string', value: "[parameters('sessionSecret')]" };
    });
    expect(outputViolations(wrong)).toEqual([
      'main output APPLICATIONINSIGHTS_CONNECTION_STRING: name looks like a secret',
      'main output APPLICATIONINSIGHTS_CONNECTION_STRING: value carries a secret',
      'main output SESSION: value carries a secret',
    ]);
  });

  it('a missing app setting or a setting Flex Consumption rejects', () => {
    const wrong = mutated((json) => {
      const settings = objectAt(moduleResource(json, 'functionApp', 'appSettings'), 'properties');
      delete settings.SYNC_SCHEDULE;
      settings.FUNCTIONS_WORKER_RUNTIME = 'node';
    });
    expect(appSettingViolations(wrong)).toEqual([
      'app setting SYNC_SCHEDULE is missing',
      'app setting FUNCTIONS_WORKER_RUNTIME must not be set',
    ]);
  });
});

describe('the compiled JSON itself', () => {
  it('is what bicep build produced from infra/ (languageVersion 2.0, seven modules)', () => {
    expect(template.json.languageVersion).toBe('2.0');
    expect(template.modules.map(({ symbolicName }) => symbolicName).sort()).toEqual([
      'functionApp',
      'identity',
      'keyVault',
      'monitoring',
      'network',
      'privateLinks',
      'storage',
    ]);
    expect(isObject(template.json.outputs)).toBe(true);
  });
});
