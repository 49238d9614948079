import { tagsType } from '../types.bicep'

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags tagsType

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output resourceId string = identity.id

@description('Client (application) id of the identity.')
output clientId string = identity.properties.clientId

@description('Object id of the identity\'s service principal: the principal of role assignments and of the Graph app role assignments.')
output principalId string = identity.properties.principalId

@description('Name of the identity.')
output name string = identity.name
