import { managedIdentityType, serviceSettingsType, tagsType } from '../types.bicep'

@description('Name of the Function App; its default host name is <name>.azurewebsites.net.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region (must offer Flex Consumption).')
param location string

@description('Tags for the plan and the app.')
param tags tagsType

@description('azd service name in azure.yaml; azd finds the app by the azd-service-name tag.')
param azdServiceName string

@description('The user-assigned identity the app runs as.')
param identity managedIdentityType

@description('Name of the storage account used by the Functions host, for deployments and for the service\'s tables.')
param storageAccountName string

@description('Blob endpoint of that storage account, ending with a slash.')
param storageBlobEndpoint string

@description('Table endpoint of that storage account, without a trailing slash.')
param storageTableEndpoint string

@description('Queue endpoint of that storage account, without a trailing slash.')
param storageQueueEndpoint string

@description('Blob container that holds the deployment packages.')
param deploymentContainerName string

@description('Name of the Application Insights component (local authentication disabled).')
param applicationInsightsName string

@description('Versionless URI of the Key Vault entry behind ENTRA_CLIENT_SECRET (not the value).')
param entraClientVaultReferenceUri string

@description('Versionless URI of the Key Vault entry behind SESSION_SECRET (not the value).')
param sessionVaultReferenceUri string

@description('Versionless URI of the Key Vault entry behind NOTIFICATION_CLIENT_STATE (not the value).')
param notificationClientStateVaultReferenceUri string

@description('Node.js major version of the Functions runtime.')
@allowed(['20', '22'])
param nodeVersion string

@description('Memory of each instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound of instances the plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Settings the service reads.')
param settings serviceSettingsType

@description('Resource id of the subnet (delegated to Microsoft.App/environments) the app integrates with; empty for none. Flex Consumption sends the app\'s outbound traffic through it, so the private endpoints of storage and Key Vault are reachable.')
param virtualNetworkSubnetId string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.resourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // The app's own endpoint stays public: browsers sign in and Microsoft Graph posts notifications to it.
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    // Key Vault references resolve with the user-assigned identity; the default would be a system-assigned one.
    keyVaultReferenceIdentity: identity.resourceId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.resourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex Consumption takes the language here; FUNCTIONS_WORKER_RUNTIME is not an app setting on this plan.
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // Functions host: identity-based storage and telemetry.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.clientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.clientId};Authorization=AAD'

    // The service (DESIGN.md, "Settings").
    AZURE_CLIENT_ID: identity.clientId
    ENTRA_TENANT_ID: settings.entraTenantId
    ENTRA_CLIENT_ID: settings.entraClientId
    ENTRA_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${entraClientVaultReferenceUri})'
    ENTRA_APP_ID_URI: settings.entraAppIdUri
    ENTRA_SERVICE_PRINCIPAL_ID: settings.entraServicePrincipalId
    ENTRA_AUTHORITY_HOST: settings.entraAuthorityHost
    GRAPH_ENDPOINT: settings.graphEndpoint
    GRAPH_AUTH: 'managed_identity'
    TABLES_ENDPOINT: storageTableEndpoint
    TABLE_PREFIX: settings.tablePrefix
    // The group-sync queue; the queue trigger reaches the same account through AzureWebJobsStorage.
    QUEUES_ENDPOINT: storageQueueEndpoint
    // Graph posts change and lifecycle notifications to the app's own host name.
    NOTIFICATION_URL: settings.notificationUrlEnabled
      ? 'https://${functionApp.properties.defaultHostName}/api/graph/notifications'
      : ''
    NOTIFICATION_CLIENT_STATE: '@Microsoft.KeyVault(SecretUri=${notificationClientStateVaultReferenceUri})'
    SYNC_SCHEDULE: settings.syncSchedule
    DELTA_SCHEDULE: settings.deltaSchedule
    DELTA_ASSIGNMENT_CHECK_SECONDS: string(settings.deltaAssignmentCheckSeconds)
    GROUP_MEMBERSHIP: settings.groupMembership
    MAX_MEMBERSHIP_REMOVALS_PER_RUN: string(settings.maxMembershipRemovalsPerRun)
    FULL_PASS_FAN_OUT_GROUPS: string(settings.fullPassFanOutGroups)
    FULL_PASS_SHARE_GROUPS: string(settings.fullPassShareGroups)
    ASSIGNED_GROUPS_CACHE_SECONDS: string(settings.assignedGroupsCacheSeconds)
    // string(bool) would give True/False; the service parses lower-case.
    GROUPS_CLAIM_AUTHORITATIVE: settings.groupsClaimAuthoritative ? 'true' : 'false'
    POST_LOGIN_REDIRECT_URL: settings.postLoginRedirectUrl
    ALLOWED_REDIRECT_ORIGINS: join(settings.allowedRedirectOrigins, ',')
    ALLOWED_CLIENT_APP_IDS: join(settings.allowedClientAppIds, ',')
    SESSION_SECRET: '@Microsoft.KeyVault(SecretUri=${sessionVaultReferenceUri})'
    DEFAULT_TEAM_PARAMS: string(settings.defaultTeamParams)
    DEFAULT_INTERNAL_USER_PARAMS: string(settings.defaultInternalUserParams)
    SIGN_IN_USERS: settings.signInUsers
    ROLE_MAPPINGS: string(settings.roleMappings)
    CONSOLE_ADMIN_ROLE: settings.consoleAdminRole
  }
}

// Deployments (azd, az functionapp deploy) authenticate with Microsoft Entra ID; no publishing passwords.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Name of the Function App.')
output name string = functionApp.name

@description('Default host name of the Function App.')
output defaultHostName string = functionApp.properties.defaultHostName
