// One private endpoint and the private DNS zone that resolves the resource's public name to it
// inside the virtual network: a zone of its own, or an existing one (a landing zone's central
// zones are linked to the hub by their owners, so nothing is created or linked for them).
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

var createZone = target.?existingPrivateDnsZoneId == null
var privateDnsZoneId = createZone
  ? resourceId('Microsoft.Network/privateDnsZones', target.privateDnsZoneName)
  : target.?existingPrivateDnsZoneId!

resource privateDnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = if (createZone) {
  name: target.privateDnsZoneName
  location: 'global'
  tags: tags
}

resource virtualNetworkLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = if (createZone) {
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
            privateDnsZoneId: privateDnsZoneId
          }
        }
      ]
    }
  }
}

@description('Resource id of the private endpoint.')
output privateEndpointId string = privateEndpoint.id

@description('Resource id of the private DNS zone the endpoint registers in (its own or the existing one).')
output privateDnsZoneId string = privateDnsZoneId
