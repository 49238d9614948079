// What the compiled template must satisfy. Each check returns the list of violations (empty when
// the template is right), so the tests can also prove that a wrong template is caught.
import {
  allTemplates,
  isObject,
  moduleNamed,
  objectAt,
  onlyResourceOfType,
  resourcesOfType,
  text,
  type ArmTemplate,
  type Json,
} from './arm.js';

export const builtInRoles = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Storage Account Contributor': '17d1049b-9a84-46fb-8f53-869881c3d3ab',
} as const;

type RoleName = keyof typeof builtInRoles;

/** Role granted, resource type it is scoped to: the whole set the template may grant. */
export const expectedRoleAssignments: readonly (readonly [RoleName, string])[] = [
  ['Storage Blob Data Owner', 'Microsoft.Storage/storageAccounts'],
  ['Storage Table Data Contributor', 'Microsoft.Storage/storageAccounts'],
  ['Storage Queue Data Contributor', 'Microsoft.Storage/storageAccounts'],
  ['Key Vault Secrets User', 'Microsoft.KeyVault/vaults'],
  ['Monitoring Metrics Publisher', 'Microsoft.Insights/components'],
];

/** Every app setting the service or the Functions host reads in Azure. */
export const expectedAppSettings = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AZURE_CLIENT_ID',
  'ENTRA_TENANT_ID',
  'ENTRA_CLIENT_ID',
  'ENTRA_CLIENT_SECRET',
  'ENTRA_APP_ID_URI',
  'ENTRA_SERVICE_PRINCIPAL_ID',
  'ENTRA_AUTHORITY_HOST',
  'GRAPH_ENDPOINT',
  'GRAPH_AUTH',
  'TABLES_ENDPOINT',
  'TABLE_PREFIX',
  'QUEUES_ENDPOINT',
  'NOTIFICATION_URL',
  'NOTIFICATION_CLIENT_STATE',
  'SYNC_SCHEDULE',
  'DELTA_SCHEDULE',
  'GROUP_MEMBERSHIP',
  'MAX_MEMBERSHIP_REMOVALS_PER_RUN',
  'FULL_PASS_FAN_OUT_GROUPS',
  'FULL_PASS_SHARE_GROUPS',
  'ASSIGNED_GROUPS_CACHE_SECONDS',
  'GROUPS_CLAIM_AUTHORITATIVE',
  'POST_LOGIN_REDIRECT_URL',
  'ALLOWED_REDIRECT_ORIGINS',
  'ALLOWED_CLIENT_APP_IDS',
  'SESSION_SECRET',
  'DEFAULT_TEAM_PARAMS',
  'DEFAULT_INTERNAL_USER_PARAMS',
  'SIGN_IN_USERS',
  'ROLE_MAPPINGS',
  'CONSOLE_ADMIN_ROLE',
] as const;

/** Settings that must not appear: secrets in plain text, or settings Flex Consumption rejects. */
export const forbiddenAppSettings = [
  'AzureWebJobsStorage',
  'TABLES_CONNECTION_STRING',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
] as const;

function expectEqual(
  problems: string[],
  what: string,
  actual: Json | undefined,
  expected: Json,
): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    problems.push(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

function expectMatch(
  problems: string[],
  what: string,
  actual: Json | undefined,
  pattern: RegExp,
): void {
  if (typeof actual !== 'string' || !pattern.test(actual)) {
    problems.push(`${what} is ${JSON.stringify(actual)}, expected to match ${String(pattern)}`);
  }
}

export function storageViolations(template: ArmTemplate): string[] {
  const problems: string[] = [];
  const account = onlyResourceOfType(template, 'Microsoft.Storage/storageAccounts');
  const p = account.properties;
  expectEqual(problems, 'storage allowSharedKeyAccess', p.allowSharedKeyAccess, false);
  expectEqual(problems, 'storage allowBlobPublicAccess', p.allowBlobPublicAccess, false);
  expectEqual(problems, 'storage minimumTlsVersion', p.minimumTlsVersion, 'TLS1_2');
  expectEqual(problems, 'storage supportsHttpsTrafficOnly', p.supportsHttpsTrafficOnly, true);
  expectEqual(
    problems,
    'storage defaultToOAuthAuthentication',
    p.defaultToOAuthAuthentication,
    true,
  );
  const containers = resourcesOfType(
    template,
    'Microsoft.Storage/storageAccounts/blobServices/containers',
  );
  if (containers.length !== 1)
    problems.push(`expected one deployment container, found ${containers.length}`);
  for (const { resource } of containers) {
    expectEqual(
      problems,
      'deployment container publicAccess',
      resource.properties.publicAccess,
      'None',
    );
  }
  if (resourcesOfType(template, 'Microsoft.Storage/storageAccounts/tableServices').length !== 1) {
    problems.push('expected the table service');
  }
  if (resourcesOfType(template, 'Microsoft.Storage/storageAccounts/queueServices').length !== 1) {
    problems.push('expected the queue service');
  }
  return problems;
}

export function functionAppViolations(template: ArmTemplate): string[] {
  const problems: string[] = [];
  const plan = onlyResourceOfType(template, 'Microsoft.Web/serverfarms');
  expectEqual(problems, 'plan sku', plan.body.sku, { tier: 'FlexConsumption', name: 'FC1' });
  expectEqual(problems, 'plan reserved (Linux)', plan.properties.reserved, true);

  const site = onlyResourceOfType(template, 'Microsoft.Web/sites');
  const p = site.properties;
  expectEqual(problems, 'site kind', site.body.kind, 'functionapp,linux');
  expectEqual(problems, 'site httpsOnly', p.httpsOnly, true);
  const siteConfig = isObject(p.siteConfig) ? p.siteConfig : {};
  expectEqual(problems, 'site minTlsVersion', siteConfig.minTlsVersion, '1.2');
  expectEqual(problems, 'site scmMinTlsVersion', siteConfig.scmMinTlsVersion, '1.2');
  expectEqual(problems, 'site ftpsState', siteConfig.ftpsState, 'Disabled');
  const identity = isObject(site.body.identity) ? site.body.identity : {};
  expectEqual(problems, 'site identity type', identity.type, 'UserAssigned');
  expectEqual(
    problems,
    'site keyVaultReferenceIdentity',
    p.keyVaultReferenceIdentity,
    "[parameters('identity').resourceId]",
  );

  const config = isObject(p.functionAppConfig) ? p.functionAppConfig : {};
  const runtime = isObject(config.runtime) ? config.runtime : {};
  expectEqual(problems, 'runtime name', runtime.name, 'node');
  expectEqual(problems, 'runtime version', runtime.version, "[parameters('nodeVersion')]");
  const scale = isObject(config.scaleAndConcurrency) ? config.scaleAndConcurrency : {};
  expectEqual(
    problems,
    'instanceMemoryMB',
    scale.instanceMemoryMB,
    "[parameters('instanceMemoryMB')]",
  );
  expectEqual(
    problems,
    'maximumInstanceCount',
    scale.maximumInstanceCount,
    "[parameters('maximumInstanceCount')]",
  );
  const deployment =
    isObject(config.deployment) && isObject(config.deployment.storage)
      ? config.deployment.storage
      : {};
  expectEqual(problems, 'deployment storage type', deployment.type, 'blobContainer');
  expectEqual(problems, 'deployment storage authentication', deployment.authentication, {
    type: 'UserAssignedIdentity',
    userAssignedIdentityResourceId: "[parameters('identity').resourceId]",
  });

  const basicAuth = resourcesOfType(
    template,
    'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
  );
  const allowed = basicAuth.filter(({ resource }) => resource.properties.allow !== false);
  if (basicAuth.length !== 2 || allowed.length > 0) {
    problems.push('FTP and SCM basic publishing credentials must both be disabled');
  }
  return problems;
}

export function monitoringViolations(template: ArmTemplate): string[] {
  const problems: string[] = [];
  const components = resourcesOfType(template, 'Microsoft.Insights/components').filter(
    ({ resource }) => resource.body.existing !== true,
  );
  if (components.length !== 1)
    problems.push(`expected one Application Insights, found ${components.length}`);
  for (const { resource } of components) {
    expectEqual(
      problems,
      'Application Insights DisableLocalAuth',
      resource.properties.DisableLocalAuth,
      true,
    );
    if (typeof resource.properties.WorkspaceResourceId !== 'string') {
      problems.push('Application Insights must be workspace-based');
    }
  }
  onlyResourceOfType(template, 'Microsoft.OperationalInsights/workspaces');
  return problems;
}

export function keyVaultViolations(template: ArmTemplate): string[] {
  const problems: string[] = [];
  const vault = onlyResourceOfType(template, 'Microsoft.KeyVault/vaults');
  expectEqual(
    problems,
    'Key Vault enableRbacAuthorization',
    vault.properties.enableRbacAuthorization,
    true,
  );
  expectEqual(problems, 'Key Vault enableSoftDelete', vault.properties.enableSoftDelete, true);
  if (vault.properties.accessPolicies !== undefined)
    problems.push('Key Vault must not use access policies');

  const secrets = resourcesOfType(template, 'Microsoft.KeyVault/vaults/secrets');
  if (secrets.length !== 3)
    problems.push(`expected three Key Vault secrets, found ${secrets.length}`);
  for (const { template: inner, resource } of secrets) {
    const match = /^\[parameters\('(\w+)'\)\]$/.exec(text(resource.properties.value));
    const parameter =
      match?.[1] === undefined ? undefined : objectAt(inner.json, 'parameters')[match[1]];
    if (!isObject(parameter) || parameter.type !== 'securestring') {
      problems.push(`secret ${resource.symbolicName} must take its value from a secure parameter`);
    }
  }
  const mainParameters = template.json.parameters;
  for (const name of ['entraClientSecret', 'sessionSecret']) {
    const parameter = isObject(mainParameters) ? mainParameters[name] : undefined;
    if (!isObject(parameter) || parameter.type !== 'securestring' || 'defaultValue' in parameter) {
      problems.push(`main parameter ${name} must be a secure string without a default`);
    }
  }
  // Optional: empty derives it from the session secret inside the template.
  const clientState = isObject(mainParameters) ? mainParameters.notificationClientState : undefined;
  if (
    !isObject(clientState) ||
    clientState.type !== 'securestring' ||
    !['', undefined].includes(clientState.defaultValue as string | undefined)
  ) {
    problems.push(
      'main parameter notificationClientState must be a secure string, empty by default',
    );
  }
  const session = isObject(mainParameters) ? mainParameters.sessionSecret : undefined;
  expectEqual(
    problems,
    'sessionSecret minLength',
    isObject(session) ? session.minLength : undefined,
    32,
  );
  return problems;
}

const secretLookingName =
  /secret|password|pwd|connection_?string|sas|token|credential|key(?!_?vault)/i;
const secretLookingValue =
  /list(Keys|Secrets|ConnectionStrings|AccountSas|ServiceSas|Credentials)\(|connectionstring|instrumentationkey|parameters\('(entraClientSecret|sessionSecret|notificationClientState)'\)|derivedClientState/i;

export function outputViolations(template: ArmTemplate): string[] {
  return allTemplates(template).flatMap((inner) =>
    inner.outputs.flatMap((output) => {
      const where = `${inner.path} output ${output.name}`;
      const problems: string[] = [];
      if (secretLookingName.test(output.name)) problems.push(`${where}: name looks like a secret`);
      if (secretLookingValue.test(JSON.stringify(output.value)))
        problems.push(`${where}: value carries a secret`);
      if (/^secure/i.test(output.type)) problems.push(`${where}: secure output`);
      return problems;
    }),
  );
}

export interface GrantedRole {
  readonly role: string;
  readonly scopeType: string;
  readonly principal: Json;
  readonly principalType: Json;
}

/**
 * Every role assignment in the template, resolved: the modules loop over their roleAssignments
 * parameter, and main passes role ids as `builtInRoleIds` variable lookups.
 */
export function grantedRoles(template: ArmTemplate): {
  granted: GrantedRole[];
  problems: string[];
} {
  const problems: string[] = [];
  const granted: GrantedRole[] = [];
  const roleIds = isObject(template.json.variables)
    ? template.json.variables.builtInRoleIds
    : undefined;
  for (const { template: inner, resource } of resourcesOfType(
    template,
    'Microsoft.Authorization/roleAssignments',
  )) {
    const where = `${inner.path} ${resource.symbolicName}`;
    const moduleName = inner.path.split('/')[1];
    const loop = resource.body.copy;
    if (
      moduleName === undefined ||
      !isObject(loop) ||
      loop.count !== "[length(parameters('roleAssignments'))]"
    ) {
      problems.push(
        `${where}: role assignments must be a loop over a module's roleAssignments parameter`,
      );
      continue;
    }
    expectMatch(problems, `${where} name`, resource.body.name, /^\[guid\(/);
    expectEqual(
      problems,
      `${where} roleDefinitionId`,
      resource.properties.roleDefinitionId,
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('roleAssignments')[copyIndex()].roleDefinitionId)]",
    );
    const scope = text(resource.body.scope);
    const scopeType = /resourceId\('([^']+)'/.exec(scope)?.[1] ?? `unscoped (${scope})`;
    const assignments = moduleNamed(template, moduleName).parameters.roleAssignments;
    for (const assignment of Array.isArray(assignments) ? assignments : []) {
      if (!isObject(assignment)) {
        problems.push(`${where}: roleAssignments entries must be plain objects`);
        continue;
      }
      const lookup = /^\[variables\('builtInRoleIds'\)\.(\w+)\]$/.exec(
        text(assignment.roleDefinitionId),
      );
      const roleId =
        lookup?.[1] !== undefined && isObject(roleIds)
          ? roleIds[lookup[1]]
          : assignment.roleDefinitionId;
      const role =
        Object.entries(builtInRoles).find(([, id]) => id === roleId)?.[0] ??
        `unknown role ${text(roleId)}`;
      granted.push({
        role,
        scopeType,
        principal: assignment.principalId ?? null,
        principalType: assignment.principalType ?? null,
      });
    }
  }
  return { granted, problems };
}

export function appSettingsOf(template: ArmTemplate): Record<string, Json> {
  const configs = resourcesOfType(template, 'Microsoft.Web/sites/config').filter(({ resource }) =>
    text(resource.body.name).endsWith("'appsettings')]"),
  );
  const [only] = configs;
  if (configs.length !== 1 || only === undefined)
    throw new Error(`expected one appsettings config, found ${configs.length}`);
  return only.resource.properties;
}

export function appSettingViolations(template: ArmTemplate): string[] {
  const names = Object.keys(appSettingsOf(template));
  const expected: readonly string[] = expectedAppSettings;
  const forbidden: readonly string[] = forbiddenAppSettings;
  return [
    ...expected
      .filter((name) => !names.includes(name))
      .map((name) => `app setting ${name} is missing`),
    ...names
      .filter((name) => forbidden.includes(name))
      .map((name) => `app setting ${name} must not be set`),
    ...names
      .filter((name) => !expected.includes(name) && !forbidden.includes(name))
      .map((name) => `app setting ${name} is not in the list the tests know`),
  ];
}
