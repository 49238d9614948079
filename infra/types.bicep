// Types shared by main.bicep, the modules and main.bicepparam.

@export()
@description('Defaults applied once, when the service creates a team from an Entra group (the YAML key default_team_params). Property names match the MishikaLLM settings file.')
type defaultTeamParamsType = {
  @description('Budget in USD. Bicep literals are integers; for a fractional budget write json(\'12.5\') in the .bicepparam file. Omit for no budget.')
  max_budget: int?

  @description('Budget window: <n>s, <n>m, <n>h, <n>d or <n>mo, for example 30d.')
  budget_duration: string?

  @description('Models the team may use; an empty list means all models the proxy allows.')
  models: string[]

  @description('Tokens per minute for the whole team. Omit for no limit.')
  tpm_limit: int?

  @description('Requests per minute for the whole team. Omit for no limit.')
  rpm_limit: int?

  @description('Permissions of team members in MishikaLLM. Omit for the proxy default.')
  team_member_permissions: string[]?
}

@export()
@description('Defaults applied once, when the service creates a user (the YAML key default_internal_user_params).')
type defaultInternalUserParamsType = {
  @description('MishikaLLM user role.')
  user_role: ('proxy_admin' | 'proxy_admin_viewer' | 'internal_user' | 'internal_user_viewer')?

  @description('Budget in USD (see max_budget of defaultTeamParamsType). Omit for no budget.')
  max_budget: int?

  @description('Budget window: <n>s, <n>m, <n>h, <n>d or <n>mo.')
  budget_duration: string?

  @description('Models the user may use on their own; an empty list means none beyond their teams.')
  models: string[]

  @description('Tokens per minute for the user. Omit for no limit.')
  tpm_limit: int?

  @description('Requests per minute for the user. Omit for no limit.')
  rpm_limit: int?
}

@export()
@description('Entra app role value -> MishikaLLM user role (the YAML key role_mappings); a value that is a role name needs no entry.')
type roleMappingsType = {
  *: 'proxy_admin' | 'proxy_admin_viewer' | 'internal_user' | 'internal_user_viewer'
}

@export()
@description('Resource tags: names and string values.')
type tagsType = {
  *: string
}

@export()
@description('A built-in role granted to one principal on the resource that a module deploys.')
type roleAssignmentType = {
  @description('GUID of the built-in role definition.')
  roleDefinitionId: string

  @description('Object id of the principal that receives the role.')
  principalId: string

  @description('Kind of principal; ServicePrincipal for managed identities (avoids a replication race on new identities).')
  principalType: 'ServicePrincipal' | 'Group' | 'User'

  @description('Why the principal needs the role; shown in the portal.')
  description: string
}

@export()
@description('The user-assigned managed identity the Function App runs as.')
type managedIdentityType = {
  @description('Resource id of the user-assigned managed identity.')
  resourceId: string

  @description('Client (application) id of the identity: AZURE_CLIENT_ID and AzureWebJobsStorage__clientId.')
  clientId: string
}

@export()
@description('Settings the service reads at start-up (see DESIGN.md and local.settings.example.json).')
type serviceSettingsType = {
  @description('ENTRA_TENANT_ID: the tenant whose groups are synced.')
  entraTenantId: string

  @description('ENTRA_CLIENT_ID: client id of the app registration users sign in to.')
  entraClientId: string

  @description('ENTRA_APP_ID_URI: the application id URI accepted as the audience of v1 access tokens.')
  entraAppIdUri: string

  @description('ENTRA_SERVICE_PRINCIPAL_ID: object id of the Enterprise Application; empty lets the service look it up from the client id.')
  entraServicePrincipalId: string

  @description('ENTRA_AUTHORITY_HOST: https://login.microsoftonline.com, or a national cloud authority.')
  entraAuthorityHost: string

  @description('GRAPH_ENDPOINT: https://graph.microsoft.com, or a national cloud Graph endpoint.')
  graphEndpoint: string

  @description('TABLE_PREFIX: prefix of every table name; empty for none.')
  tablePrefix: string

  @description('SYNC_SCHEDULE: NCRONTAB schedule of the reconciliation timer (six fields, UTC).')
  syncSchedule: string

  @description('DELTA_SCHEDULE: NCRONTAB schedule of the delta rounds timer (six fields, UTC).')
  deltaSchedule: string

  @description('DELTA_ASSIGNMENT_CHECK_SECONDS: how long a delta round trusts the last listing of the app assignments (0: list every round).')
  deltaAssignmentCheckSeconds: int

  @description('GROUP_MEMBERSHIP: transitive (members of nested groups count) or direct.')
  groupMembership: 'transitive' | 'direct'

  @description('MAX_MEMBERSHIP_REMOVALS_PER_RUN: a run that would remove more memberships holds every removal.')
  maxMembershipRemovalsPerRun: int

  @description('FULL_PASS_FAN_OUT_GROUPS: a full pass over more assigned groups than this fans out on the group-sync queue.')
  fullPassFanOutGroups: int

  @description('FULL_PASS_SHARE_GROUPS: assigned groups per share of a fanned-out full pass.')
  fullPassShareGroups: int

  @description('ASSIGNED_GROUPS_CACHE_SECONDS: how long sign-ins share one listing of the app assignments (a new assignment is seen within it).')
  assignedGroupsCacheSeconds: int

  @description('GROUPS_CLAIM_AUTHORITATIVE: trust the groups claim of a token instead of asking Graph at sign-in.')
  groupsClaimAuthoritative: bool

  @description('POST_LOGIN_REDIRECT_URL: where the browser goes after a successful sign-in.')
  postLoginRedirectUrl: string

  @description('ALLOWED_REDIRECT_ORIGINS: origins the login flow may redirect back to.')
  allowedRedirectOrigins: string[]

  @description('ALLOWED_CLIENT_APP_IDS: client apps besides this one whose access tokens for this app are accepted.')
  allowedClientAppIds: string[]

  @description('NOTIFICATION_URL: where Microsoft Graph posts change notifications; empty turns them off.')
  notificationUrlEnabled: bool

  @description('DEFAULT_TEAM_PARAMS, serialised to JSON.')
  defaultTeamParams: defaultTeamParamsType

  @description('DEFAULT_INTERNAL_USER_PARAMS, serialised to JSON.')
  defaultInternalUserParams: defaultInternalUserParamsType

  @description('SIGN_IN_USERS: assigned (only users the app is assigned to, directly or by group) or any.')
  signInUsers: 'assigned' | 'any'

  @description('ROLE_MAPPINGS, serialised to JSON.')
  roleMappings: roleMappingsType

  @description('CONSOLE_ADMIN_ROLE: the app role value whose holders administer the console.')
  consoleAdminRole: string
}

@export()
@description('Built-in Azure role definition ids granted by this template, and nothing more.')
var builtInRoleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

@export()
@description('Returns the URL without its trailing slash (environment() URLs end with one; the service expects none).')
func withoutTrailingSlash(url string) string => endsWith(url, '/') ? take(url, max(length(url) - 1, 0)) : url

@export()
@description('Two existing subnets of one virtual network (for example a hub-and-spoke landing zone).')
type existingSubnetsType = {
  @description('Resource id of the subnet the Function App integrates with; delegated to Microsoft.App/environments, at least /27.')
  @minLength(1)
  appSubnetId: string

  @description('Resource id of the subnet that holds the private endpoints of storage and Key Vault (same virtual network).')
  @minLength(1)
  privateEndpointSubnetId: string
}

@export()
@description('Private networking of storage and Key Vault. Off (the default): both accept traffic from any network, and every request still needs a Microsoft Entra token with a data role. On: the app reaches them through VNet integration and private endpoints only, and their public network access is Disabled.')
type privateNetworkingType = {
  @description('Create the private endpoints, the private DNS zones and the VNet integration, and turn public network access of storage and Key Vault off.')
  enabled: bool

  @description('Address space of the virtual network the template creates when existingSubnets is not given: a /24 or larger; the app gets its first /25, the private endpoints the next /27. Default 10.40.0.0/24.')
  addressPrefix: string?

  @description('Use these subnets instead of creating a virtual network; the private DNS zones are linked to their virtual network.')
  existingSubnets: existingSubnetsType?

  @description('Private DNS zones that already exist (a landing zone\'s central zones, linked to the hub by its owners): the endpoints register in these, and the template creates and links no zone of its own for them.')
  existingPrivateDnsZoneIds: existingPrivateDnsZoneIdsType?
}

@export()
@description('Resource ids of existing private DNS zones, per sub-resource; a sub-resource left out gets a zone of its own.')
type existingPrivateDnsZoneIdsType = {
  @description('Resource id of the privatelink.blob.<storage suffix> zone.')
  blob: string?

  @description('Resource id of the privatelink.table.<storage suffix> zone.')
  table: string?

  @description('Resource id of the privatelink.queue.<storage suffix> zone.')
  queue: string?

  @description('Resource id of the privatelink.vaultcore.<suffix> zone.')
  vault: string?
}

@export()
@description('One private endpoint: the resource, the sub-resource (group id) and the private DNS zone its address is registered in.')
type privateLinkTargetType = {
  @description('Short name, part of the endpoint\'s name: blob, table, queue or vault.')
  name: string

  @description('Resource id of the storage account or Key Vault.')
  resourceId: string

  @description('Private link group id (sub-resource): blob, table, queue or vault.')
  groupId: 'blob' | 'table' | 'queue' | 'vault'

  @description('Name of the private DNS zone, for example privatelink.table.core.windows.net.')
  privateDnsZoneName: string

  @description('Resource id of an existing zone of that name to register in; absent, the module creates the zone and links it to the network.')
  existingPrivateDnsZoneId: string?
}

@export()
@description('Resource id of the virtual network a subnet id belongs to (the id without /subnets/<name>).')
func virtualNetworkIdOf(subnetId string) string => join(take(split(subnetId, '/'), 9), '/')
