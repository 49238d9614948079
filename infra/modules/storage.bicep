import { roleAssignmentType, tagsType } from '../types.bicep'

@description('Name of the storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags tagsType

@description('Redundancy of the account.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param skuName string

@description('Blob container that holds the deployment packages of the Flex Consumption app.')
param deploymentContainerName string

@description('Tables created up front; the service creates any further bookkeeping tables itself.')
param tableNames string[]

@description('Queues created up front: group-sync and the poison queue the Functions host moves failed messages to.')
param queueNames string[]

@description('Roles granted on the whole storage account: only those that cannot be narrower (see main.bicep).')
param roleAssignments roleAssignmentType[]

@description('Roles granted on each queue in queueNames, and on nothing else in the account.')
param queueRoleAssignments roleAssignmentType[]

@description('Enabled: any network reaches the endpoints (every request still needs a Microsoft Entra token with a data role; network ACL default action Allow). Disabled: only the private endpoints (network ACL default action Deny, no bypass).')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

resource storageAccount 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    // Every client (the Functions host, deployments, the service) uses Microsoft Entra ID.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: publicNetworkAccess == 'Enabled'
      ? {
          bypass: 'AzureServices'
          defaultAction: 'Allow'
        }
      : {
          bypass: 'None'
          defaultAction: 'Deny'
        }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-09-01' = {
  parent: storageAccount
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-09-01' = {
  parent: storageAccount
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-09-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-09-01' = {
  parent: storageAccount
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-09-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in roleAssignments: {
    name: guid(storageAccount.id, assignment.principalId, assignment.roleDefinitionId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.roleDefinitionId)
      principalId: assignment.principalId
      principalType: assignment.principalType
      description: assignment.description
    }
  }
]

// Every (queue, role) pair.
var queueGrants = flatten(map(
  range(0, length(queueNames)),
  queue => map(queueRoleAssignments, assignment => union(assignment, { queue: queue }))
))

resource queueRoleAssignmentsPerQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in queueGrants: {
    name: guid(queues[grant.queue].id, grant.principalId, grant.roleDefinitionId)
    scope: queues[grant.queue]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', grant.roleDefinitionId)
      principalId: grant.principalId
      principalType: grant.principalType
      description: grant.description
    }
  }
]

@description('Resource id of the storage account (the private endpoints connect to it).')
output resourceId string = storageAccount.id

@description('Name of the storage account.')
output name string = storageAccount.name

@description('Blob endpoint, ending with a slash.')
output blobEndpoint string = storageAccount.properties.primaryEndpoints.blob

@description('Table endpoint without a trailing slash (TABLES_ENDPOINT).')
output tableEndpoint string = 'https://${storageAccount.name}.table.${environment().suffixes.storage}'

@description('Queue endpoint without a trailing slash (QUEUES_ENDPOINT).')
output queueEndpoint string = 'https://${storageAccount.name}.queue.${environment().suffixes.storage}'

@description('Name of the deployment container.')
output deploymentContainerName string = deploymentContainer.name
