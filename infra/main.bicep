// Entra ID team sync for MishikaLLM: everything the service needs in one resource group.
// Deploy with `azd up` or `az deployment group create --parameters infra/main.bicepparam` (docs/deploy.md).
targetScope = 'resourceGroup'

import {
  builtInRoleIds
  defaultInternalUserParamsType
  defaultTeamParamsType
  privateLinkTargetType
  privateNetworkingType
  roleMappingsType
  tagsType
  virtualNetworkIdOf
  withoutTrailingSlash
} from 'types.bicep'

metadata name = 'MishikaLLM Entra team sync'
metadata description = 'Flex Consumption Function App, storage (tables and host), Key Vault, Log Analytics and Application Insights, all reached with one user-assigned managed identity.'

@description('Environment name (azd: AZURE_ENV_NAME); part of every generated resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource; it must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Tags added to every resource.')
param tags tagsType = {}

@description('Function App name; empty generates func-<token>. The SSO redirect URI is https://<name>.azurewebsites.net/api/sso/callback.')
@maxLength(60)
param functionAppName string = ''

@description('Node.js major version of the Functions runtime.')
@allowed(['20', '22'])
param nodeVersion string = '22'

@description('Memory of each Function App instance, in MB.')
@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int = 2048

@description('Upper bound of Function App instances.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@description('Redundancy of the storage account that holds the tables.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param storageSkuName string = 'Standard_LRS'

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Turn on Key Vault purge protection (cannot be turned off again; the vault name stays reserved for 90 days after deletion).')
param keyVaultPurgeProtection bool = true

@description('''Private networking of storage and Key Vault. Off by default, for a first deployment: the Flex Consumption platform uploads each deployment package (azd deploy) to the deployment container from outside any virtual network, and operators reach the tables and the vault from their own machines; the network ACL default action is then Allow, and every request still needs a Microsoft Entra token with a data role (shared keys, anonymous blobs and vault access policies are off). On: a virtual network (or existingSubnets), the app's VNet integration, private endpoints for blob, table, queue and vault with private DNS zones linked to the network, and public network access Disabled on storage and Key Vault (default action Deny). docs/deploy.md, "Private networking".''')
param privateNetworking privateNetworkingType = {
  enabled: false
}

@description('ENTRA_TENANT_ID: tenant of the app registration and of the synced groups.')
param entraTenantId string = tenant().tenantId

@description('ENTRA_CLIENT_ID: client (application) id of the app registration users sign in to.')
@minLength(36)
@maxLength(36)
param entraClientId string

@description('ENTRA_CLIENT_SECRET: a client secret of that app registration; stored in Key Vault only.')
@secure()
@minLength(1)
param entraClientSecret string

@description('ENTRA_APP_ID_URI: application id URI of the app registration; empty means api://<entraClientId>.')
param entraAppIdUri string = ''

@description('ENTRA_SERVICE_PRINCIPAL_ID: object id of the Enterprise Application; empty lets the service look it up.')
param entraServicePrincipalId string = ''

@description('ENTRA_AUTHORITY_HOST: Microsoft Entra authority of the cloud the tenant lives in.')
param entraAuthorityHost string = withoutTrailingSlash(environment().authentication.loginEndpoint)

@description('GRAPH_ENDPOINT: Microsoft Graph endpoint of that cloud (for example https://graph.microsoft.us).')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('TABLE_PREFIX: prefix of every table name (a letter, then letters and digits); empty for none.')
@maxLength(40)
param tablePrefix string = ''

@description('SYNC_SCHEDULE: NCRONTAB schedule of the reconciliation (six fields, UTC).')
param syncSchedule string = '0 0 */6 * * *'

@description('DELTA_SCHEDULE: NCRONTAB schedule of the delta rounds (six fields, UTC).')
param deltaSchedule string = '0 */5 * * * *'

@description('DELTA_ASSIGNMENT_CHECK_SECONDS: a delta round lists the app assignments only when the last listing is older than this (0: every round).')
@minValue(0)
@maxValue(21600)
param deltaAssignmentCheckSeconds int = 1800

@description('GROUP_MEMBERSHIP: transitive counts members of nested groups; direct matches Entra app assignment.')
@allowed(['transitive', 'direct'])
param groupMembership string = 'transitive'

@description('MAX_MEMBERSHIP_REMOVALS_PER_RUN: above this many removals a run holds all of them.')
@minValue(0)
param maxMembershipRemovalsPerRun int = 500

@description('FULL_PASS_FAN_OUT_GROUPS: a full pass over more assigned groups than this fans out on the group-sync queue (0: every pass).')
@minValue(0)
param fullPassFanOutGroups int = 2000

@description('FULL_PASS_SHARE_GROUPS: assigned groups per share of a fanned-out full pass.')
@minValue(1)
@maxValue(500)
param fullPassShareGroups int = 200

@description('ASSIGNED_GROUPS_CACHE_SECONDS: sign-ins share one listing of the app assignments for this long; a newly assigned group is seen within it.')
@minValue(0)
@maxValue(3600)
param assignedGroupsCacheSeconds int = 5

@description('GROUPS_CLAIM_AUTHORITATIVE: trust the token\'s groups claim at sign-in instead of asking Graph.')
param groupsClaimAuthoritative bool = false

@description('POST_LOGIN_REDIRECT_URL: where the browser lands after signing in (usually the MishikaLLM UI).')
@minLength(1)
param postLoginRedirectUrl string

@description('ALLOWED_REDIRECT_ORIGINS: origins the login flow may send the browser back to.')
param allowedRedirectOrigins string[] = []

@description('ALLOWED_CLIENT_APP_IDS: application (client) ids, besides this app, whose access tokens for this app /api/sync/me accepts.')
param allowedClientAppIds string[] = []

@description('SESSION_SECRET: at least 32 characters; signs the short-lived login cookie; stored in Key Vault only.')
@secure()
@minLength(32)
param sessionSecret string

@description('Microsoft Graph change notifications: groups sync seconds after they change (NOTIFICATION_URL is the app\'s own /api/graph/notifications). Off leaves delta rounds and the full pass.')
param changeNotifications bool = true

@description('NOTIFICATION_CLIENT_STATE: 32 to 128 printable characters proving a notification comes from Graph; stored in Key Vault only. Empty derives one from sessionSecret (stable across deployments).')
@secure()
param notificationClientState string = ''

@description('DEFAULT_TEAM_PARAMS: applied once to each team the service creates.')
param defaultTeamParams defaultTeamParamsType = {
  max_budget: 100
  budget_duration: '30d'
  models: []
  tpm_limit: 100000
  rpm_limit: 1000
}

@description('SIGN_IN_USERS: assigned (users assigned to the app, directly or through a group) or any (every tenant user who signs in).')
@allowed(['assigned', 'any'])
param signInUsers string = 'assigned'

@description('ROLE_MAPPINGS: Entra app role value -> MishikaLLM user role, for values that are not a role name.')
param roleMappings roleMappingsType = {}

@description('CONSOLE_ADMIN_ROLE: the Entra app role value whose holders administer the operator console.')
@minLength(1)
param consoleAdminRole string = 'proxy_admin'

@description('DEFAULT_INTERNAL_USER_PARAMS: applied once to each user the service creates.')
param defaultInternalUserParams defaultInternalUserParamsType = {
  user_role: 'internal_user'
  max_budget: 10
  budget_duration: '30d'
  models: []
}

var resourceToken = toLower(uniqueString(resourceGroup().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })
var appName = empty(functionAppName) ? 'func-${resourceToken}' : functionAppName
var applicationInsightsName = 'appi-${resourceToken}'
var keyVaultSecretNames = {
  entraClientSecret: 'entra-client-secret'
  sessionSecret: 'session-secret'
  notificationClientState: 'notification-client-state'
}
// guid() is a one-way hash: the derived clientState reveals nothing of the session secret, and it
// stays the same on every deployment, so the subscription is not recreated each time.
var derivedClientState = '${guid(sessionSecret, 'graph-notification-client-state')}${guid(sessionSecret, 'graph-notification-client-state', '2')}'
var groupSyncQueueName = 'group-sync'
var publicNetworkAccess = privateNetworking.enabled ? 'Disabled' : 'Enabled'
var createVirtualNetwork = privateNetworking.enabled && privateNetworking.?existingSubnets == null
var storageAccountName = 'st${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var virtualNetworkName = 'vnet-${resourceToken}'
var subnetNames = {
  app: 'app'
  privateEndpoints: 'private-endpoints'
}
// Ids known before anything deploys, so that What-If and the loops below can evaluate them.
var appSubnetId = !privateNetworking.enabled
  ? ''
  : privateNetworking.?existingSubnets.?appSubnetId ?? resourceId(
      'Microsoft.Network/virtualNetworks/subnets',
      virtualNetworkName,
      subnetNames.app
    )
var privateEndpointSubnetId = !privateNetworking.enabled
  ? ''
  : privateNetworking.?existingSubnets.?privateEndpointSubnetId ?? resourceId(
      'Microsoft.Network/virtualNetworks/subnets',
      virtualNetworkName,
      subnetNames.privateEndpoints
    )
// The Key Vault zone is privatelink.vaultcore.<suffix> where vault names end in .vault.<suffix>.
var keyVaultPrivateDnsZoneName = 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
var privateLinkTargets privateLinkTargetType[] = concat(
  map(['blob', 'table', 'queue'], service => {
    name: service
    resourceId: resourceId('Microsoft.Storage/storageAccounts', storageAccountName)
    groupId: service
    privateDnsZoneName: 'privatelink.${service}.${environment().suffixes.storage}'
    existingPrivateDnsZoneId: privateNetworking.?existingPrivateDnsZoneIds[?service]
  }),
  [
    {
      name: 'vault'
      resourceId: resourceId('Microsoft.KeyVault/vaults', keyVaultName)
      groupId: 'vault'
      privateDnsZoneName: keyVaultPrivateDnsZoneName
      existingPrivateDnsZoneId: privateNetworking.?existingPrivateDnsZoneIds.?vault
    }
  ]
)

module network 'modules/network.bicep' = if (createVirtualNetwork) {
  name: 'network'
  params: {
    name: virtualNetworkName
    location: location
    tags: allTags
    addressPrefix: privateNetworking.?addressPrefix ?? '10.40.0.0/24'
    appSubnetName: subnetNames.app
    privateEndpointSubnetName: subnetNames.privateEndpoints
  }
}

module privateLinks 'modules/privateLink.bicep' = [
  for target in (privateNetworking.enabled ? privateLinkTargets : []): {
    name: 'privateLink-${target.name}'
    // The targets are named by id above, so the order is stated here.
    dependsOn: [network, storage, keyVault]
    params: {
      name: 'pe-${target.name}-${resourceToken}'
      location: location
      tags: allTags
      target: target
      subnetId: privateEndpointSubnetId
      virtualNetworkId: virtualNetworkIdOf(privateEndpointSubnetId)
    }
  }
]

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
    roleAssignments: [
      {
        roleDefinitionId: builtInRoleIds.monitoringMetricsPublisher
        principalId: identity.outputs.principalId
        principalType: 'ServicePrincipal'
        description: 'Send telemetry to Application Insights, whose local (key) authentication is off.'
      }
    ]
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: allTags
    skuName: storageSkuName
    deploymentContainerName: 'app-package-${resourceToken}'
    tableNames: ['${tablePrefix}Teams', '${tablePrefix}Users']
    queueNames: [groupSyncQueueName, '${groupSyncQueueName}-poison']
    publicNetworkAccess: publicNetworkAccess
    // Narrowest scopes the host and the SDKs allow (docs/security.md, "Network exposure and data roles"):
    roleAssignments: [
      {
        // Account: the Functions host creates and uses containers of its own choosing
        // (azure-webjobs-hosts: timer status and singleton leases; azure-webjobs-secrets: keys),
        // and Microsoft documents AzureWebJobsStorage with this role on the account. It also
        // covers the deployment container the platform reads packages from.
        roleDefinitionId: builtInRoleIds.storageBlobDataOwner
        principalId: identity.outputs.principalId
        principalType: 'ServicePrincipal'
        description: 'Functions host (AzureWebJobsStorage: timer leases, keys) and Flex Consumption deployment packages.'
      }
      {
        // Account: the service creates its tables on first use (Create Table is a request to the
        // account's Tables resource, not to a table), and the account holds only its tables.
        roleDefinitionId: builtInRoleIds.storageTableDataContributor
        principalId: identity.outputs.principalId
        principalType: 'ServicePrincipal'
        description: 'The service\'s Teams, Users and bookkeeping tables, created on first use.'
      }
    ]
    queueRoleAssignments: [
      {
        // Each queue: the service sends to group-sync, the queue trigger reads it and moves
        // failed messages to group-sync-poison; both exist before the app starts.
        roleDefinitionId: builtInRoleIds.storageQueueDataContributor
        principalId: identity.outputs.principalId
        principalType: 'ServicePrincipal'
        description: 'The group-sync queue (change notifications) and its poison queue: send, trigger, poison.'
      }
    ]
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    name: keyVaultName
    location: location
    tags: allTags
    enablePurgeProtection: keyVaultPurgeProtection
    entraClientSecretName: keyVaultSecretNames.entraClientSecret
    entraClientSecret: entraClientSecret
    sessionSecretName: keyVaultSecretNames.sessionSecret
    sessionSecret: sessionSecret
    notificationClientStateName: keyVaultSecretNames.notificationClientState
    notificationClientState: empty(notificationClientState) ? derivedClientState : notificationClientState
    publicNetworkAccess: publicNetworkAccess
    secretRoleAssignments: [
      {
        roleDefinitionId: builtInRoleIds.keyVaultSecretsUser
        principalId: identity.outputs.principalId
        principalType: 'ServicePrincipal'
        description: 'Resolve the Key Vault references ENTRA_CLIENT_SECRET, SESSION_SECRET and NOTIFICATION_CLIENT_STATE.'
      }
    ]
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  // The app reads the Application Insights connection string by name, so the component must exist
  // first; with private networking its subnet and the private endpoints it reaches storage through.
  dependsOn: [monitoring, network, privateLinks]
  params: {
    name: appName
    planName: 'plan-${resourceToken}'
    location: location
    tags: allTags
    azdServiceName: 'api'
    identity: {
      resourceId: identity.outputs.resourceId
      clientId: identity.outputs.clientId
    }
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: applicationInsightsName
    entraClientVaultReferenceUri: keyVault.outputs.entraClientReferenceUri
    sessionVaultReferenceUri: keyVault.outputs.sessionReferenceUri
    notificationClientStateVaultReferenceUri: keyVault.outputs.notificationClientStateReferenceUri
    nodeVersion: nodeVersion
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    virtualNetworkSubnetId: appSubnetId
    settings: {
      entraTenantId: entraTenantId
      entraClientId: entraClientId
      entraAppIdUri: empty(entraAppIdUri) ? 'api://${entraClientId}' : entraAppIdUri
      entraServicePrincipalId: entraServicePrincipalId
      entraAuthorityHost: entraAuthorityHost
      graphEndpoint: graphEndpoint
      tablePrefix: tablePrefix
      syncSchedule: syncSchedule
      deltaSchedule: deltaSchedule
      deltaAssignmentCheckSeconds: deltaAssignmentCheckSeconds
      groupMembership: groupMembership
      maxMembershipRemovalsPerRun: maxMembershipRemovalsPerRun
      fullPassFanOutGroups: fullPassFanOutGroups
      fullPassShareGroups: fullPassShareGroups
      assignedGroupsCacheSeconds: assignedGroupsCacheSeconds
      groupsClaimAuthoritative: groupsClaimAuthoritative
      postLoginRedirectUrl: postLoginRedirectUrl
      allowedRedirectOrigins: allowedRedirectOrigins
      allowedClientAppIds: allowedClientAppIds
      notificationUrlEnabled: changeNotifications
      defaultTeamParams: defaultTeamParams
      defaultInternalUserParams: defaultInternalUserParams
      signInUsers: signInUsers
      roleMappings: roleMappings
      consoleAdminRole: consoleAdminRole
    }
  }
}

@description('Region of the deployment (azd).')
output AZURE_LOCATION string = location

@description('Tenant of the deployment (azd).')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Name of the Function App; azd deploys the api service to it.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the service.')
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'

@description('Redirect URI to register on the app registration (infra/scripts/grant-graph-permissions.sh does it).')
output SSO_REDIRECT_URI string = 'https://${functionApp.outputs.defaultHostName}/api/sso/callback'

@description('Object id of the app\'s managed identity: receives the Microsoft Graph application permissions.')
output AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Client id of the app\'s managed identity.')
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Client id of the app registration (ENTRA_CLIENT_ID), for the permissions script.')
output ENTRA_CLIENT_ID string = entraClientId

@description('Storage account holding the tables.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('TABLES_ENDPOINT of the service.')
output TABLES_ENDPOINT string = storage.outputs.tableEndpoint

@description('Name of the Key Vault holding the secrets.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
