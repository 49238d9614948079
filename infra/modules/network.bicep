// The virtual network of the private-networking option: one subnet for the Flex Consumption app's
// VNet integration, one for the private endpoints of storage and Key Vault.
import { tagsType } from '../types.bicep'

@description('Name of the virtual network.')
param name string

@description('Azure region.')
param location string

@description('Tags for the virtual network.')
param tags tagsType

@description('Address space: a /24 or larger. The app subnet is its first /25, the private endpoint subnet the /27 after it.')
param addressPrefix string

@description('Name of the subnet delegated to the Function App.')
param appSubnetName string

@description('Name of the subnet holding the private endpoints.')
param privateEndpointSubnetName string

resource virtualNetwork 'Microsoft.Network/virtualNetworks@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 25, 0)
          // Flex Consumption integrates with a subnet delegated to Microsoft.App/environments.
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 27, 4)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }

}

@description('Resource id of the virtual network.')
output virtualNetworkId string = virtualNetwork.id
