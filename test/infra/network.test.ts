// The private-networking option and the data-role scopes, checked on deployment snapshots of
// main.bicepparam: what a deployment would create with the option off (the default), on with a
// new virtual network, and on with two existing subnets.
import { beforeAll, describe, expect, it } from 'vitest';
import { objectAt } from './arm.js';
import { expectedRoleAssignments, grantedRoles, networkViolations } from './policy.js';
import { ofType, snapshotOf, type PredictedResource, type Snapshot } from './snapshot.js';

const group = '/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/rg-snapshot';
const hub = '/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-hub';
const hubNetwork = `${hub}/providers/Microsoft.Network/virtualNetworks/vnet-hub`;
const existing = {
  APP_SUBNET_ID: `${hubNetwork}/subnets/functions`,
  PRIVATE_ENDPOINT_SUBNET_ID: `${hubNetwork}/subnets/endpoints`,
};

const dns = '/subscriptions/00000000-0000-0000-0000-0000000000dd/resourceGroups/rg-dns';
const centralZones = {
  blob: `${dns}/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net`,
  table: `${dns}/providers/Microsoft.Network/privateDnsZones/privatelink.table.core.windows.net`,
  queue: `${dns}/providers/Microsoft.Network/privateDnsZones/privatelink.queue.core.windows.net`,
  vault: `${dns}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`,
};

let publicDeployment: Snapshot;
let newNetwork: Snapshot;
let existingSubnets: Snapshot;
let existingZones: Snapshot;
let oneExistingZone: Snapshot;

beforeAll(async () => {
  [publicDeployment, newNetwork, existingSubnets, existingZones, oneExistingZone] =
    await Promise.all([
      snapshotOf('public', {}),
      snapshotOf('private-new-network', { PRIVATE_NETWORKING: 'true' }),
      snapshotOf('private-existing-subnets', { PRIVATE_NETWORKING: 'true', ...existing }),
      snapshotOf('private-existing-zones', {
        PRIVATE_NETWORKING: 'true',
        ...existing,
        PRIVATE_DNS_ZONE_ID_BLOB: centralZones.blob,
        PRIVATE_DNS_ZONE_ID_TABLE: centralZones.table,
        PRIVATE_DNS_ZONE_ID_QUEUE: centralZones.queue,
        PRIVATE_DNS_ZONE_ID_VAULT: centralZones.vault,
      }),
      snapshotOf('private-one-existing-zone', {
        PRIVATE_NETWORKING: 'true',
        PRIVATE_DNS_ZONE_ID_TABLE: centralZones.table,
      }),
    ]);
}, 180_000);

function createdNetwork(snapshot: Snapshot): { id: string; app: string; endpoints: string } {
  const [network] = ofType(snapshot, 'Microsoft.Network/virtualNetworks');
  if (network === undefined) throw new Error('no virtual network');
  return {
    id: network.id,
    app: `${network.id}/subnets/app`,
    endpoints: `${network.id}/subnets/private-endpoints`,
  };
}

/** The network check for a deployment that created its own virtual network. */
function createdNetworkViolations(
  snapshot: Snapshot,
  existingZoneIds?: Readonly<Partial<Record<string, string>>>,
): string[] {
  const network = createdNetwork(snapshot);
  return networkViolations(snapshot, {
    private: true,
    appSubnetId: network.app,
    privateEndpointSubnetId: network.endpoints,
    virtualNetworkId: network.id,
    ...(existingZoneIds === undefined ? {} : { existingZoneIds }),
  });
}

/** The network check for a deployment into the given hub subnets. */
function givenSubnetViolations(
  snapshot: Snapshot,
  existingZoneIds?: Readonly<Partial<Record<string, string>>>,
): string[] {
  return networkViolations(snapshot, {
    private: true,
    appSubnetId: existing.APP_SUBNET_ID,
    privateEndpointSubnetId: existing.PRIVATE_ENDPOINT_SUBNET_ID,
    virtualNetworkId: hubNetwork,
    ...(existingZoneIds === undefined ? {} : { existingZoneIds }),
  });
}

describe('private networking off (the default)', () => {
  it('keeps public network access with the Allow default action, and creates no network resources', () => {
    expect(networkViolations(publicDeployment, { private: false })).toEqual([]);
  });
});

describe('private networking on, with a new virtual network', () => {
  it('creates a virtual network with a subnet delegated to Flex Consumption and one for endpoints', () => {
    const [network] = ofType(newNetwork, 'Microsoft.Network/virtualNetworks');
    expect(network?.id).toMatch(
      new RegExp(`^${group}/providers/Microsoft.Network/virtualNetworks/vnet-`),
    );
    const subnets = objectAt(network?.properties, 'addressSpace');
    expect(subnets.addressPrefixes).toEqual(['10.40.0.0/24']);
    expect(network?.properties.subnets).toEqual([
      {
        name: 'app',
        properties: {
          addressPrefix: '10.40.0.0/25',
          delegations: [
            { name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } },
          ],
        },
      },
      {
        name: 'private-endpoints',
        properties: { addressPrefix: '10.40.0.128/27', privateEndpointNetworkPolicies: 'Disabled' },
      },
    ]);
  });

  it('puts blob, table, queue and vault behind private endpoints with linked DNS zones, public access Disabled', () => {
    expect(createdNetworkViolations(newNetwork)).toEqual([]);
  });
});

describe('private networking on, in existing subnets', () => {
  it('creates no virtual network, and uses the given subnets and their network', () => {
    expect(ofType(existingSubnets, 'Microsoft.Network/virtualNetworks')).toEqual([]);
    expect(givenSubnetViolations(existingSubnets)).toEqual([]);
  });
});

describe("private networking on, with a landing zone's central private DNS zones", () => {
  it('registers every endpoint in the given zones, and creates and links no zone of its own', () => {
    expect(ofType(existingZones, 'Microsoft.Network/privateDnsZones')).toEqual([]);
    expect(ofType(existingZones, 'Microsoft.Network/privateDnsZones/virtualNetworkLinks')).toEqual(
      [],
    );
    expect(givenSubnetViolations(existingZones, centralZones)).toEqual([]);
  });

  it('creates and links zones only for the sub-resources given none (table given, three created)', () => {
    expect(ofType(oneExistingZone, 'Microsoft.Network/privateDnsZones')).toHaveLength(3);
    expect(createdNetworkViolations(oneExistingZone, { table: centralZones.table })).toEqual([]);
  });

  it('the check catches an endpoint that registers in its own zone when one was given', () => {
    expect(createdNetworkViolations(newNetwork, { vault: centralZones.vault })).toEqual(
      expect.arrayContaining([
        'a DNS zone vault was created beside the existing one',
        'the existing DNS zone vault was linked by this deployment',
        'vault endpoint does not register in the existing DNS zone',
      ]),
    );
  });
});

describe('data roles', () => {
  it('grants exactly the listed roles, each to the app identity, on the documented scope, with or without the option', () => {
    for (const snapshot of [publicDeployment, newNetwork, existingSubnets, existingZones]) {
      const { granted, problems } = grantedRoles(snapshot);
      expect(problems).toEqual([]);
      expect(
        granted.map(({ role, scopeType, scopeName }) => [role, scopeType, scopeName]).sort(),
      ).toEqual(
        expectedRoleAssignments
          .map(([role, scopeType, scopeName]) => [role, scopeType, scopeName])
          .sort(),
      );
      const [identity] = ofType(snapshot, 'Microsoft.ManagedIdentity/userAssignedIdentities');
      for (const assignment of granted) {
        expect(assignment.principal).toBe(
          `[reference('${identity?.id}', '2024-11-30').principalId]`,
        );
        expect(assignment.principalType).toBe('ServicePrincipal');
      }
    }
  });
});

describe('the checks catch a wrong deployment', () => {
  function changed(snapshot: Snapshot, change: (resource: PredictedResource) => PredictedResource) {
    return snapshot.map((resource) => change(structuredClone(resource)));
  }

  it('storage or Key Vault left public with the option on, or the app outside the network', () => {
    const network = createdNetwork(newNetwork);
    const wrong = changed(newNetwork, (resource) => {
      if (
        resource.type === 'Microsoft.Storage/storageAccounts' ||
        resource.type === 'Microsoft.KeyVault/vaults'
      ) {
        resource.properties.publicNetworkAccess = 'Enabled';
      }
      if (resource.type === 'Microsoft.Web/sites')
        delete resource.properties.virtualNetworkSubnetId;
      return resource;
    });
    expect(
      networkViolations(wrong, {
        private: true,
        appSubnetId: network.app,
        privateEndpointSubnetId: network.endpoints,
        virtualNetworkId: network.id,
      }),
    ).toEqual([
      'storage publicNetworkAccess is "Enabled", expected "Disabled"',
      'Key Vault publicNetworkAccess is "Enabled", expected "Disabled"',
      `site virtualNetworkSubnetId is null, expected ${JSON.stringify(network.app)}`,
    ]);
  });

  it('a missing endpoint, an unlinked zone, or private resources with the option off', () => {
    const wrong = newNetwork.filter(
      (resource) =>
        resource.name !==
          ofType(newNetwork, 'Microsoft.Network/privateEndpoints').find((pe) =>
            pe.name.startsWith('pe-vault-'),
          )?.name &&
        !(
          resource.type === 'Microsoft.Network/privateDnsZones/virtualNetworkLinks' &&
          resource.name.includes("'table'")
        ),
    );
    // The virtual network stays in `wrong`, so its ids are read from it as from newNetwork.
    const problems = createdNetworkViolations(wrong);
    expect(problems).toContain('no private endpoint for vault');
    expect(problems).toContain('DNS zone table is not linked to a network');
    const leftOver = [
      ...publicDeployment,
      ...ofType(newNetwork, 'Microsoft.Network/privateEndpoints'),
    ];
    expect(networkViolations(leftOver, { private: false })).toHaveLength(4);
  });

  it('an extra role (Storage Account Contributor) or a role on the resource group', () => {
    const [template] = ofType(publicDeployment, 'Microsoft.Authorization/roleAssignments');
    if (template === undefined) throw new Error('no role assignment');
    const extra = (scope: string, roleId: string): PredictedResource => {
      const resource = structuredClone(template);
      return {
        ...resource,
        id: `[extensionResourceId('${scope}', 'Microsoft.Authorization/roleAssignments', guid('x'))]`,
        properties: {
          ...resource.properties,
          roleDefinitionId: `/subscriptions/00000000-0000-0000-0000-00000000000b/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
        },
      };
    };
    const [account] = ofType(publicDeployment, 'Microsoft.Storage/storageAccounts');
    const wrong = [
      ...publicDeployment,
      extra(account?.id ?? '', '17d1049b-9a84-46fb-8f53-869881c3d3ab'),
      extra(group, '4633458b-17de-408a-b874-0445c86b69e6'),
    ];
    const roles = grantedRoles(wrong).granted.map(
      ({ role, scopeType }) => `${role} on ${scopeType}`,
    );
    expect(roles).toContain('Storage Account Contributor on Microsoft.Storage/storageAccounts');
    expect(roles).toContain(`Key Vault Secrets User on not a resource id (${group})`);
  });
});
