import { roleAssignmentType, tagsType } from '../types.bicep'

@description('Name of the Key Vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the vault.')
param tags tagsType

@description('Keep deleted secrets recoverable and forbid purging them for the retention period.')
param enablePurgeProtection bool

@description('Name of the secret that holds the Entra client secret.')
param entraClientSecretName string

@description('Client secret of the app registration (redeems the sign-in code).')
@secure()
param entraClientSecret string

@description('Name of the secret that holds the session secret.')
param sessionSecretName string

@description('Secret that signs the short-lived login cookie.')
@secure()
param sessionSecret string

@description('Name of the secret that holds the clientState of the Graph subscription.')
param notificationClientStateName string

@description('clientState of the Graph change-notification subscription (proves a notification comes from Graph).')
@secure()
param notificationClientState string

@description('Roles granted on each of the three secrets, and on nothing else in the vault.')
param secretRoleAssignments roleAssignmentType[]

@description('Enabled: any network reaches the vault (every request still needs a Microsoft Entra token with a role; network ACL default action Allow). Disabled: only its private endpoint (default action Deny).')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Access is granted with Azure roles only; no access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM rejects false here: purge protection can only be switched on, so null leaves it off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource entraClientSecretEntry 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: entraClientSecretName
  properties: {
    value: entraClientSecret
    contentType: 'Entra app registration client secret'
  }
}

resource sessionSecretEntry 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: sessionSecretName
  properties: {
    value: sessionSecret
    contentType: 'Login cookie signing secret'
  }
}

resource notificationClientStateEntry 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: notificationClientStateName
  properties: {
    value: notificationClientState
    contentType: 'Graph change notification clientState'
  }
}

var grantedSecretNames = [entraClientSecretName, sessionSecretName, notificationClientStateName]
// Every (secret, role) pair: the identity reads these three secrets, not whatever else the vault holds.
var secretGrants = flatten(map(
  range(0, length(grantedSecretNames)),
  secret => map(secretRoleAssignments, assignment => union(assignment, { secret: secret }))
))

resource grantedSecrets 'Microsoft.KeyVault/vaults/secrets@2026-05-15' existing = [
  for secretName in grantedSecretNames: {
    parent: vault
    name: secretName
  }
]

resource secretRoleAssignmentsPerSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in secretGrants: {
    name: guid(grantedSecrets[grant.secret].id, grant.principalId, grant.roleDefinitionId)
    scope: grantedSecrets[grant.secret]
    // The scopes above are existing references: the secrets must be written first.
    dependsOn: [entraClientSecretEntry, sessionSecretEntry, notificationClientStateEntry]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', grant.roleDefinitionId)
      principalId: grant.principalId
      principalType: grant.principalType
      description: grant.description
    }
  }
]

@description('Resource id of the vault (its private endpoint connects to it).')
output resourceId string = vault.id

@description('Name of the vault.')
output name string = vault.name

@description('Versionless URI of the Entra client secret entry, for a Key Vault reference (not the value).')
output entraClientReferenceUri string = entraClientSecretEntry.properties.secretUri

@description('Versionless URI of the clientState entry, for a Key Vault reference (not the value).')
output notificationClientStateReferenceUri string = notificationClientStateEntry.properties.secretUri

@description('Versionless URI of the session secret entry, for a Key Vault reference (not the value).')
output sessionReferenceUri string = sessionSecretEntry.properties.secretUri
