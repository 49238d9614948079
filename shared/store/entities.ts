/**
 * The Table Storage contract of DESIGN.md: the row keys, and the codecs between the domain's
 * types and the stored entities. The MishikaLLM proxy reads these tables: names and shapes
 * stay stable.
 */
import type {
  MemberRole,
  Source,
  Stored,
  Team,
  TeamMember,
  User,
  UserTeamLink,
} from '../sync/model.js';
import { numberOf, stringListOf, textOf } from './entity-values.js';
import { assertValidKey } from './keys.js';

export const TEAM_ROW = 'team';
export const USER_ROW = 'user';
export const MEMBER_ROW_PREFIX = 'member:';
export const USER_TEAM_ROW_PREFIX = 'team:';

export type EntityProperties = Record<string, string | number | boolean>;

export interface StoredEntity {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly etag: string;
  readonly [property: string]: unknown;
}

export function memberRowKey(userId: string): string {
  return `${MEMBER_ROW_PREFIX}${assertValidKey(userId, 'user id')}`;
}

export function userTeamRowKey(teamId: string): string {
  return `${USER_TEAM_ROW_PREFIX}${assertValidKey(teamId, 'team id')}`;
}

function definedOnly(properties: Record<string, unknown>): EntityProperties {
  const result: EntityProperties = {};
  for (const [name, value] of Object.entries(properties)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      result[name] = value;
    }
  }
  return result;
}

/** Properties of the `team` row, in contract names. JSON arrays are stored as strings. */
export function teamProperties(team: Partial<Team>): EntityProperties {
  return definedOnly({
    teamAlias: team.teamAlias,
    source: team.source,
    entraGroupId: team.entraGroupId,
    entraDisplayName: team.entraDisplayName,
    maxBudget: team.maxBudget,
    budgetDuration: team.budgetDuration,
    models: team.models === undefined ? undefined : JSON.stringify(team.models),
    tpmLimit: team.tpmLimit,
    rpmLimit: team.rpmLimit,
    teamMemberPermissions:
      team.teamMemberPermissions === undefined
        ? undefined
        : JSON.stringify(team.teamMemberPermissions),
    archived: team.archived,
    archivedAt: team.archivedAt,
    archivedReason: team.archivedReason,
    createdAt: team.createdAt,
    createdBy: team.createdBy,
  });
}

export function memberProperties(member: Partial<TeamMember>): EntityProperties {
  return definedOnly({
    userId: member.userId,
    role: member.role,
    source: member.source,
    addedAt: member.addedAt,
    userEmail: member.userEmail,
  });
}

export function userProperties(user: Partial<User>): EntityProperties {
  return definedOnly({
    userEmail: user.userEmail,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    userRole: user.userRole,
    entraRole: user.entraRole,
    maxBudget: user.maxBudget,
    budgetDuration: user.budgetDuration,
    models: user.models === undefined ? undefined : JSON.stringify(user.models),
    tpmLimit: user.tpmLimit,
    rpmLimit: user.rpmLimit,
    source: user.source,
    accountEnabled: user.accountEnabled,
    deletedInEntra: user.deletedInEntra,
    createdAt: user.createdAt,
    lastSignInAt: user.lastSignInAt,
  });
}

export function userTeamProperties(link: Partial<UserTeamLink>): EntityProperties {
  return definedOnly({
    teamId: link.teamId,
    role: link.role,
    source: link.source,
    addedAt: link.addedAt,
  });
}

function flag(entity: StoredEntity, name: string, fallback: boolean): boolean {
  const value = entity[name];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return fallback;
}

function source(entity: StoredEntity): Source {
  // Anything not explicitly written by this service counts as the operator's.
  return entity.source === 'entra' ? 'entra' : 'manual';
}

function role(entity: StoredEntity): MemberRole {
  return entity.role === 'admin' ? 'admin' : 'user';
}

export function teamFromEntity(entity: StoredEntity): Stored<Team> {
  return {
    teamId: entity.partitionKey,
    teamAlias: textOf(entity, 'teamAlias') ?? entity.partitionKey,
    source: source(entity),
    entraGroupId: textOf(entity, 'entraGroupId'),
    entraDisplayName: textOf(entity, 'entraDisplayName'),
    maxBudget: numberOf(entity, 'maxBudget'),
    budgetDuration: textOf(entity, 'budgetDuration'),
    models: stringListOf(entity.models),
    tpmLimit: numberOf(entity, 'tpmLimit'),
    rpmLimit: numberOf(entity, 'rpmLimit'),
    teamMemberPermissions: stringListOf(entity.teamMemberPermissions),
    archived: flag(entity, 'archived', false),
    archivedAt: textOf(entity, 'archivedAt'),
    archivedReason: textOf(entity, 'archivedReason'),
    createdAt: textOf(entity, 'createdAt') ?? '',
    createdBy: textOf(entity, 'createdBy'),
    etag: entity.etag,
  };
}

export function memberFromEntity(entity: StoredEntity): Stored<TeamMember> {
  return {
    teamId: entity.partitionKey,
    userId: entity.rowKey.slice(MEMBER_ROW_PREFIX.length),
    role: role(entity),
    source: source(entity),
    addedAt: textOf(entity, 'addedAt') ?? '',
    userEmail: textOf(entity, 'userEmail'),
    etag: entity.etag,
  };
}

export function userFromEntity(entity: StoredEntity): Stored<User> {
  return {
    userId: entity.partitionKey,
    userEmail: textOf(entity, 'userEmail') ?? '',
    displayName: textOf(entity, 'displayName') ?? '',
    userPrincipalName: textOf(entity, 'userPrincipalName') ?? '',
    userRole: textOf(entity, 'userRole') ?? 'internal_user',
    // Absent on rows written before roles were synced: the planner decides what that means.
    entraRole: textOf(entity, 'entraRole'),
    maxBudget: numberOf(entity, 'maxBudget'),
    budgetDuration: textOf(entity, 'budgetDuration'),
    models: stringListOf(entity.models),
    tpmLimit: numberOf(entity, 'tpmLimit'),
    rpmLimit: numberOf(entity, 'rpmLimit'),
    source: source(entity),
    accountEnabled: flag(entity, 'accountEnabled', true),
    deletedInEntra: flag(entity, 'deletedInEntra', false),
    createdAt: textOf(entity, 'createdAt') ?? '',
    lastSignInAt: textOf(entity, 'lastSignInAt'),
    etag: entity.etag,
  };
}

export function userTeamFromEntity(entity: StoredEntity): Stored<UserTeamLink> {
  return {
    userId: entity.partitionKey,
    teamId: entity.rowKey.slice(USER_TEAM_ROW_PREFIX.length),
    role: role(entity),
    source: source(entity),
    addedAt: textOf(entity, 'addedAt') ?? '',
    etag: entity.etag,
  };
}
