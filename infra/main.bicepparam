// Parameters for main.bicep. azd fills the readEnvironmentVariable() values from its environment
// (`azd env set NAME value`); for `az deployment group create` export the same variables first.
// A variable without a default that is not set stops the build with its name: nothing deploys half-configured.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')

// The app registration users sign in to (docs/deploy.md, step 2).
param entraClientId = readEnvironmentVariable('ENTRA_CLIENT_ID')
param entraClientSecret = readEnvironmentVariable('ENTRA_CLIENT_SECRET')
param entraAppIdUri = readEnvironmentVariable('ENTRA_APP_ID_URI', '')
param entraServicePrincipalId = readEnvironmentVariable('ENTRA_SERVICE_PRINCIPAL_ID', '')

// At least 32 characters, for example: openssl rand -base64 48
param sessionSecret = readEnvironmentVariable('SESSION_SECRET')

// Graph change notifications (groups sync seconds after they change). An empty clientState is
// derived from SESSION_SECRET in the template; set one (32 to 128 characters) to choose it.
param changeNotifications = readEnvironmentVariable('CHANGE_NOTIFICATIONS', 'true') != 'false'
param notificationClientState = readEnvironmentVariable('NOTIFICATION_CLIENT_STATE', '')

// Where the browser lands after signing in, and the origins it may be sent back to.
param postLoginRedirectUrl = readEnvironmentVariable('POST_LOGIN_REDIRECT_URL')
param allowedRedirectOrigins = empty(readEnvironmentVariable('ALLOWED_REDIRECT_ORIGINS', ''))
  ? []
  : split(readEnvironmentVariable('ALLOWED_REDIRECT_ORIGINS', ''), ',')

// Client apps (besides this one) whose access tokens for this app are accepted at sign-in.
param allowedClientAppIds = empty(readEnvironmentVariable('ALLOWED_CLIENT_APP_IDS', ''))
  ? []
  : split(readEnvironmentVariable('ALLOWED_CLIENT_APP_IDS', ''), ',')

param functionAppName = readEnvironmentVariable('FUNCTION_APP_NAME', '')
param tablePrefix = readEnvironmentVariable('TABLE_PREFIX', '')

// Sync behaviour.
param syncSchedule = '0 0 */6 * * *'
param deltaSchedule = '0 */5 * * * *'
param deltaAssignmentCheckSeconds = 1800
param groupMembership = 'transitive'
param maxMembershipRemovalsPerRun = 500
param fullPassFanOutGroups = 2000
param fullPassShareGroups = 200
param assignedGroupsCacheSeconds = 5
param groupsClaimAuthoritative = false

// Applied once to each team and user the service creates; budgets are in USD
// (for a fractional budget write json('12.5')).
param defaultTeamParams = {
  max_budget: 100
  budget_duration: '30d'
  models: ['gpt-3.5-turbo']
  tpm_limit: 100000
  rpm_limit: 1000
}
// Who is synced, and which MishikaLLM role their Entra app roles give (docs/entra-app-registration.md).
param signInUsers = 'assigned'
param roleMappings = {}
param consoleAdminRole = 'proxy_admin'

param defaultInternalUserParams = {
  user_role: 'internal_user'
  max_budget: 10
  budget_duration: '30d'
  models: []
}

// Private networking of storage and Key Vault (docs/deploy.md, "Private networking"): off for a
// first deployment. PRIVATE_NETWORKING=true creates a virtual network (VNET_ADDRESS_PREFIX, a /24
// or larger) or, with APP_SUBNET_ID and PRIVATE_ENDPOINT_SUBNET_ID, uses two existing subnets.
// PRIVATE_DNS_ZONE_ID_BLOB, _TABLE, _QUEUE and _VAULT name existing private DNS zones (a landing
// zone's central ones) to register the endpoints in instead of zones of the deployment's own.
var blobZoneId = readEnvironmentVariable('PRIVATE_DNS_ZONE_ID_BLOB', '')
var tableZoneId = readEnvironmentVariable('PRIVATE_DNS_ZONE_ID_TABLE', '')
var queueZoneId = readEnvironmentVariable('PRIVATE_DNS_ZONE_ID_QUEUE', '')
var vaultZoneId = readEnvironmentVariable('PRIVATE_DNS_ZONE_ID_VAULT', '')
param privateNetworking = {
  enabled: readEnvironmentVariable('PRIVATE_NETWORKING', 'false') == 'true'
  addressPrefix: readEnvironmentVariable('VNET_ADDRESS_PREFIX', '10.40.0.0/24')
  existingSubnets: empty(readEnvironmentVariable('APP_SUBNET_ID', ''))
    ? null
    : {
        appSubnetId: readEnvironmentVariable('APP_SUBNET_ID', '')
        privateEndpointSubnetId: readEnvironmentVariable('PRIVATE_ENDPOINT_SUBNET_ID', '')
      }
  existingPrivateDnsZoneIds: {
    blob: empty(blobZoneId) ? null : blobZoneId
    table: empty(tableZoneId) ? null : tableZoneId
    queue: empty(queueZoneId) ? null : queueZoneId
    vault: empty(vaultZoneId) ? null : vaultZoneId
  }
}

// Capacity.
param nodeVersion = '22'
param functionInstanceMemoryMB = 2048
param functionMaximumInstanceCount = 40
param storageSkuName = 'Standard_LRS'
param logRetentionInDays = 30
// Purge protection cannot be turned off once on, and keeps the vault name taken for 90 days after
// deletion; set KEY_VAULT_PURGE_PROTECTION=false for throwaway environments (`azd down --purge`).
param keyVaultPurgeProtection = readEnvironmentVariable('KEY_VAULT_PURGE_PROTECTION', 'true') != 'false'
