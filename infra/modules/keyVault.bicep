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

@description('Roles granted on the vault.')
param roleAssignments roleAssignmentType[]

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
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
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

resource vaultRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in roleAssignments: {
    name: guid(vault.id, assignment.principalId, assignment.roleDefinitionId)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.roleDefinitionId)
      principalId: assignment.principalId
      principalType: assignment.principalType
      description: assignment.description
    }
  }
]

@description('Name of the vault.')
output name string = vault.name

@description('Versionless URI of the Entra client secret entry, for a Key Vault reference (not the value).')
output entraClientReferenceUri string = entraClientSecretEntry.properties.secretUri

@description('Versionless URI of the clientState entry, for a Key Vault reference (not the value).')
output notificationClientStateReferenceUri string = notificationClientStateEntry.properties.secretUri

@description('Versionless URI of the session secret entry, for a Key Vault reference (not the value).')
output sessionReferenceUri string = sessionSecretEntry.properties.secretUri
