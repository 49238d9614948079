// One private endpoint and the private DNS zone that resolves the resource's public name to it
// inside the virtual network.
import { privateLinkTargetType, tagsType } from '../types.bicep'

@description('Name of the private endpoint.')
param name string

@description('Azure region of the private endpoint (the DNS zone is global).')
param location string

@description('Tags for the endpoint and the zone.')
param tags tagsType

@description('The resource, sub-resource and DNS zone of the endpoint.')
param target privateLinkTargetType

@description('Resource id of the subnet the endpoint takes its address from.')
param subnetId string

@description('Resource id of the virtual network the DNS zone is linked to.')
param virtualNetworkId string

resource privateDnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: target.privateDnsZoneName
  location: 'global'
  tags: tags
}

resource virtualNetworkLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: privateDnsZone
  name: 'link-${uniqueString(virtualNetworkId)}'
  location: 'global'
  tags: tags
  properties: {
    // Resolution only; nothing in the network registers its own names here.
    registrationEnabled: false
    virtualNetwork: {
      id: virtualNetworkId
    }
  }
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: target.name
        properties: {
          privateLinkServiceId: target.resourceId
          groupIds: [target.groupId]
        }
      }
    ]
  }

  resource dnsZoneGroup 'privateDnsZoneGroups' = {
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: target.groupId
          properties: {
            privateDnsZoneId: privateDnsZone.id
          }
        }
      ]
    }
  }
}

@description('Resource id of the private endpoint.')
output privateEndpointId string = privateEndpoint.id

@description('Resource id of the private DNS zone.')
output privateDnsZoneId string = privateDnsZone.id
