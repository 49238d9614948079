// What the compiled template must satisfy. Each check returns the list of violations (empty when
// the template is right), so the tests can also prove that a wrong template is caught.
import {
  allTemplates,
  isObject,
  objectAt,
  onlyResourceOfType,
  resourcesOfType,
  text,
  type ArmTemplate,
  type Json,
} from './arm.js';
import {
  ofType,
  resourceNameOf,
  resourceTypeOf,
  scopeOf,
  type PredictedResource,
  type Snapshot,
} from './snapshot.js';

export const builtInRoles = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Storage Account Contributor': '17d1049b-9a84-46fb-8f53-869881c3d3ab',
} as const;

type RoleName = keyof typeof builtInRoles;

/**
 * Role granted, type of the resource it is scoped to, and that resource's name where it is a child
 * (a queue, a secret): the whole set the template may grant, each at the narrowest scope the host
 * and the SDKs allow (docs/security.md, "Network exposure and data roles").
 */
export const expectedRoleAssignments: readonly (readonly [RoleName, string, string?])[] = [
  ['Storage Blob Data Owner', 'Microsoft.Storage/storageAccounts'],
  ['Storage Table Data Contributor', 'Microsoft.Storage/storageAccounts'],
  [
    'Storage Queue Data Contributor',
    'Microsoft.Storage/storageAccounts/queueServices/queues',
    'group-sync',
  ],
  [
    'Storage Queue Data Contributor',
    'Microsoft.Storage/storageAccounts/queueServices/queues',
    'group-sync-poison',
  ],
  ['Key Vault Secrets User', 'Microsoft.KeyVault/vaults/secrets', 'entra-client-secret'],
  ['Key Vault Secrets User', 'Microsoft.KeyVault/vaults/secrets', 'session-secret'],
  ['Key Vault Secrets User', 'Microsoft.KeyVault/vaults/secrets', 'notification-client-state'],
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
  'DELTA_ASSIGNMENT_CHECK_SECONDS',
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

  // Existing references (the role assignments' scopes) are not secrets the template writes.
  const secrets = resourcesOfType(template, 'Microsoft.KeyVault/vaults/secrets').filter(
    ({ resource }) => resource.body.existing !== true,
  );
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
  /** Name of the scope resource when it is a child resource (queue, secret), else undefined. */
  readonly scopeName: string | undefined;
  readonly principal: Json;
  readonly principalType: Json;
}

const TOP_LEVEL_SCOPES = [
  'Microsoft.Storage/storageAccounts',
  'Microsoft.KeyVault/vaults',
  'Microsoft.Insights/components',
];

/** Every role assignment a deployment would create, as its snapshot predicts it. */
export function grantedRoles(snapshot: Snapshot): { granted: GrantedRole[]; problems: string[] } {
  const problems: string[] = [];
  const granted = ofType(snapshot, 'Microsoft.Authorization/roleAssignments').map(
    (assignment: PredictedResource): GrantedRole => {
      const where = `role assignment ${assignment.name}`;
      expectMatch(problems, `${where} name`, assignment.name, /^\[guid\(/);
      const definition = text(assignment.properties.roleDefinitionId);
      expectMatch(
        problems,
        `${where} roleDefinitionId`,
        definition,
        /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/,
      );
      const roleId = definition.split('/').at(-1);
      const scope = scopeOf(assignment);
      const scopeType = resourceTypeOf(scope);
      return {
        role:
          Object.entries(builtInRoles).find(([, id]) => id === roleId)?.[0] ??
          `unknown role ${roleId ?? definition}`,
        scopeType,
        scopeName: TOP_LEVEL_SCOPES.includes(scopeType) ? undefined : resourceNameOf(scope),
        principal: assignment.properties.principalId ?? null,
        principalType: assignment.properties.principalType ?? null,
      };
    },
  );
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

/** The private DNS zone each private endpoint's group id registers in, as main.bicep names it. */
export const privateDnsZoneNames: Record<string, string> = {
  // privatelink.blob.core.windows.net in AzureCloud, and so on.
  blob: "format('privatelink.{0}.{1}', 'blob', environment().suffixes.storage)",
  table: "format('privatelink.{0}.{1}', 'table', environment().suffixes.storage)",
  queue: "format('privatelink.{0}.{1}', 'queue', environment().suffixes.storage)",
  // privatelink.vaultcore.azure.net in AzureCloud (keyvaultDns is .vault.azure.net).
  vault:
    "format('privatelink{0}', replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.'))",
};

export interface NetworkExpectation {
  /** Private networking on. */
  readonly private: boolean;
  /** The subnet the app integrates with and the one the endpoints use (when private). */
  readonly appSubnetId?: string;
  readonly privateEndpointSubnetId?: string;
  readonly virtualNetworkId?: string;
  /** Existing private DNS zones by group id: registered in, neither created nor linked. */
  readonly existingZoneIds?: Readonly<Partial<Record<string, string>>>;
}

function only(snapshot: Snapshot, type: string, problems: string[]): PredictedResource | undefined {
  const found = ofType(snapshot, type);
  if (found.length !== 1) problems.push(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/**
 * Network exposure of storage, Key Vault and the app: public with the Allow default action, or
 * private endpoints for blob, table, queue and vault with their DNS zones linked to the network,
 * VNet integration and public network access Disabled.
 */
export function networkViolations(snapshot: Snapshot, expected: NetworkExpectation): string[] {
  const problems: string[] = [];
  const account = only(snapshot, 'Microsoft.Storage/storageAccounts', problems);
  const vault = only(snapshot, 'Microsoft.KeyVault/vaults', problems);
  const site = only(snapshot, 'Microsoft.Web/sites', problems);
  const access = expected.private ? 'Disabled' : 'Enabled';
  expectEqual(
    problems,
    'storage publicNetworkAccess',
    account?.properties.publicNetworkAccess,
    access,
  );
  expectEqual(
    problems,
    'Key Vault publicNetworkAccess',
    vault?.properties.publicNetworkAccess,
    access,
  );
  expectEqual(
    problems,
    'storage networkAcls',
    account?.properties.networkAcls,
    expected.private
      ? { bypass: 'None', defaultAction: 'Deny' }
      : { bypass: 'AzureServices', defaultAction: 'Allow' },
  );
  expectEqual(problems, 'Key Vault networkAcls', vault?.properties.networkAcls, {
    bypass: 'AzureServices',
    defaultAction: expected.private ? 'Deny' : 'Allow',
  });
  // The app's own endpoint serves browsers and Graph notifications: public either way.
  expectEqual(
    problems,
    'site publicNetworkAccess',
    site?.properties.publicNetworkAccess,
    'Enabled',
  );
  expectEqual(
    problems,
    'site virtualNetworkSubnetId',
    site?.properties.virtualNetworkSubnetId ?? null,
    expected.private ? (expected.appSubnetId ?? null) : null,
  );

  const endpoints = ofType(snapshot, 'Microsoft.Network/privateEndpoints');
  const zones = ofType(snapshot, 'Microsoft.Network/privateDnsZones');
  const links = ofType(snapshot, 'Microsoft.Network/privateDnsZones/virtualNetworkLinks');
  const groups = ofType(snapshot, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups');
  if (!expected.private) {
    const network = snapshot.filter((resource) => resource.type.startsWith('Microsoft.Network/'));
    for (const resource of network) problems.push(`unexpected ${resource.type} ${resource.name}`);
    return problems;
  }
  const targets: Record<string, string | undefined> = {
    blob: account?.id,
    table: account?.id,
    queue: account?.id,
    vault: vault?.id,
  };
  const existingZones = expected.existingZoneIds ?? {};
  const ownZones = 4 - Object.keys(existingZones).length;
  expectEqual(problems, 'private endpoints', endpoints.length, 4);
  expectEqual(problems, 'private DNS zones', zones.length, ownZones);
  expectEqual(problems, 'private DNS zone links', links.length, ownZones);
  expectEqual(problems, 'private DNS zone groups', groups.length, 4);
  for (const [groupId, zoneName] of Object.entries(privateDnsZoneNames)) {
    const endpoint = endpoints.find((resource) => {
      const connections = resource.properties.privateLinkServiceConnections;
      const first = Array.isArray(connections) ? connections[0] : undefined;
      return (
        isObject(first) &&
        JSON.stringify(objectAt(first, 'properties').groupIds) === JSON.stringify([groupId])
      );
    });
    if (endpoint === undefined) {
      problems.push(`no private endpoint for ${groupId}`);
      continue;
    }
    const connections = endpoint.properties.privateLinkServiceConnections;
    const connection = Array.isArray(connections) && isObject(connections[0]) ? connections[0] : {};
    expectEqual(
      problems,
      `${groupId} endpoint target`,
      objectAt(connection, 'properties').privateLinkServiceId,
      targets[groupId] ?? null,
    );
    expectEqual(
      problems,
      `${groupId} endpoint subnet`,
      objectAt(endpoint.properties, 'subnet').id,
      expected.privateEndpointSubnetId ?? null,
    );
    const group = groups.find((resource) => resource.name.startsWith(`${endpoint.name}/`));
    const existingZone = existingZones[groupId];
    if (existingZone !== undefined) {
      if (zones.some((zone) => zone.name === `[${zoneName}]`))
        problems.push(`a DNS zone ${groupId} was created beside the existing one`);
      if (links.some((resource) => resource.name.includes(zoneName)))
        problems.push(`the existing DNS zone ${groupId} was linked by this deployment`);
      if (group === undefined || !JSON.stringify(group.properties).includes(existingZone))
        problems.push(`${groupId} endpoint does not register in the existing DNS zone`);
      continue;
    }
    if (!zones.some((zone) => zone.name === `[${zoneName}]`))
      problems.push(`no DNS zone ${zoneName}`);
    const link = links.find((resource) => resource.name.includes(zoneName));
    if (link === undefined) problems.push(`DNS zone ${groupId} is not linked to a network`);
    else {
      expectEqual(
        problems,
        `${groupId} zone link registrationEnabled`,
        link.properties.registrationEnabled,
        false,
      );
      expectEqual(
        problems,
        `${groupId} zone linked network`,
        objectAt(link.properties, 'virtualNetwork').id,
        expected.virtualNetworkId ?? null,
      );
    }
    if (group === undefined || !JSON.stringify(group.properties).includes(zoneName)) {
      problems.push(`${groupId} endpoint does not register in its DNS zone`);
    }
  }
  return problems;
}
