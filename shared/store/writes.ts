/** Builders for the writes of the contract's entities, so no code spells keys by hand. */
import type { Team, TeamMember, User, UserTeamLink } from '../sync/model.js';
import {
  memberProperties,
  memberRowKey,
  TEAM_ROW,
  teamProperties,
  USER_ROW,
  userProperties,
  userTeamProperties,
  userTeamRowKey,
} from './entities.js';
import { assertValidKey } from './keys.js';
import type { TableWrite } from './tables.js';

export function createTeam(team: Team): TableWrite {
  return {
    table: 'teams',
    action: 'create',
    partitionKey: assertValidKey(team.teamId, 'team id'),
    rowKey: TEAM_ROW,
    properties: teamProperties(team),
  };
}

export function updateTeam(teamId: string, changes: Partial<Team>, etag: string): TableWrite {
  return {
    table: 'teams',
    action: 'merge',
    partitionKey: assertValidKey(teamId, 'team id'),
    rowKey: TEAM_ROW,
    properties: teamProperties(changes),
    etag,
  };
}

export function createUser(user: User): TableWrite {
  return {
    table: 'users',
    action: 'create',
    partitionKey: assertValidKey(user.userId, 'user id'),
    rowKey: USER_ROW,
    properties: userProperties(user),
  };
}

export function updateUser(userId: string, changes: Partial<User>, etag: string): TableWrite {
  return {
    table: 'users',
    action: 'merge',
    partitionKey: assertValidKey(userId, 'user id'),
    rowKey: USER_ROW,
    properties: userProperties(changes),
    etag,
  };
}

/** The team side of a membership (`member:<userId>` in the team's partition). */
export function createTeamMember(member: TeamMember): TableWrite {
  return {
    table: 'teams',
    action: 'create',
    partitionKey: assertValidKey(member.teamId, 'team id'),
    rowKey: memberRowKey(member.userId),
    properties: memberProperties(member),
  };
}

/** The user side of a membership (`team:<teamId>` in the user's partition). */
export function createUserTeamLink(link: UserTeamLink): TableWrite {
  return {
    table: 'users',
    action: 'create',
    partitionKey: assertValidKey(link.userId, 'user id'),
    rowKey: userTeamRowKey(link.teamId),
    properties: userTeamProperties(link),
  };
}

export function deleteTeamMember(teamId: string, userId: string, etag: string): TableWrite {
  return {
    table: 'teams',
    action: 'delete',
    partitionKey: assertValidKey(teamId, 'team id'),
    rowKey: memberRowKey(userId),
    etag,
  };
}

export function deleteUserTeamLink(userId: string, teamId: string, etag: string): TableWrite {
  return {
    table: 'users',
    action: 'delete',
    partitionKey: assertValidKey(userId, 'user id'),
    rowKey: userTeamRowKey(teamId),
    etag,
  };
}

/** Both sides of a new membership, as the contract requires. */
export function createMembership(member: TeamMember): TableWrite[] {
  return [
    createTeamMember(member),
    createUserTeamLink({
      userId: member.userId,
      teamId: member.teamId,
      role: member.role,
      source: member.source,
      addedAt: member.addedAt,
    }),
  ];
}

/** Corrects the team side of a membership. */
export function updateTeamMember(
  teamId: string,
  userId: string,
  changes: Partial<TeamMember>,
  etag: string,
): TableWrite {
  return {
    table: 'teams',
    action: 'merge',
    partitionKey: assertValidKey(teamId, 'team id'),
    rowKey: memberRowKey(userId),
    properties: memberProperties(changes),
    etag,
  };
}

/** Corrects the user side of a membership. */
export function updateUserTeamLink(
  userId: string,
  teamId: string,
  changes: Partial<UserTeamLink>,
  etag: string,
): TableWrite {
  return {
    table: 'users',
    action: 'merge',
    partitionKey: assertValidKey(userId, 'user id'),
    rowKey: userTeamRowKey(teamId),
    properties: userTeamProperties(changes),
    etag,
  };
}
