/**
 * The tenant verbs (`npm run tenant -- <verb>`): each resolves the names it is given against the
 * running tenant's directory, makes one admin API call and says what it did in one line.
 */
import type { GroupObject, UserObject } from '../model.js';
import type { AdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';
import { groupsListing, usersListing } from './listings.js';
import { findGroup, findPrincipal, principalId, principalName } from './resolve.js';

export type Verb = (client: AdminClient, args: readonly string[]) => Promise<string>;

function needs(args: readonly string[], count: number, usage: string): string[] {
  const given = args.filter((arg) => arg.trim() !== '');
  if (given.length !== count) throw new CliError(`Usage: npm run tenant -- ${usage}`, 2);
  return given;
}

export const VERBS: Record<string, { usage: string; about: string; run: Verb }> = {
  groups: {
    usage: 'groups',
    about: 'the groups: name, id, assigned to the app or not, members',
    run: async (client, args) => {
      needs(args, 0, 'groups');
      return groupsListing(await client.state());
    },
  },
  users: {
    usage: 'users',
    about: 'the users: name, sign-in name, id, enabled or not',
    run: async (client, args) => {
      needs(args, 0, 'users');
      return usersListing(await client.state());
    },
  },
  'create-group': {
    usage: 'create-group "<name>"',
    about: 'a new security group; the tenant assigns its id',
    run: async (client, args) => {
      const [name = ''] = needs(args, 1, 'create-group "<name>"');
      const group = (await client.call('POST', '/groups', { displayName: name })) as GroupObject;
      return `Created group "${group.displayName}" with id ${group.id}.`;
    },
  },
  'rename-group': {
    usage: 'rename-group "<group>" "<new name>"',
    about: 'renames a group (its team is renamed at the next sync)',
    run: async (client, args) => {
      const [text = '', name = ''] = needs(args, 2, 'rename-group "<group>" "<new name>"');
      const group = findGroup(await client.state(), text);
      await client.call('PATCH', `/groups/${group.id}`, { displayName: name });
      return `Renamed "${group.displayName}" to "${name.trim()}".`;
    },
  },
  assign: {
    usage: 'assign "<group>"',
    about: 'assigns a group to the app: it becomes a team',
    run: async (client, args) => {
      const [text = ''] = needs(args, 1, 'assign "<group>"');
      const state = await client.state();
      const group = findGroup(state, text);
      if (state.assignments.some((assignment) => assignment.principalId === group.id))
        return `"${group.displayName}" is already assigned to the app.`;
      await client.call('POST', '/assignments', { principalId: group.id });
      return `Assigned "${group.displayName}" to the app: it becomes a team at its members' next sign-in or sync.`;
    },
  },
  unassign: {
    usage: 'unassign "<group>"',
    about: 'removes a group from the app (its team is archived at the next sync)',
    run: async (client, args) => {
      const [text = ''] = needs(args, 1, 'unassign "<group>"');
      const state = await client.state();
      const group = findGroup(state, text);
      if (!state.assignments.some((assignment) => assignment.principalId === group.id))
        throw new CliError(`"${group.displayName}" is not assigned to the app.`);
      await client.call('DELETE', `/assignments/${group.id}`);
      return `Unassigned "${group.displayName}" from the app.`;
    },
  },
  'add-member': {
    usage: 'add-member "<group>" <user or group>',
    about: 'adds a user (sign-in name, mail, name or id) or a group to a group',
    run: async (client, args) => {
      const [groupText = '', memberText = ''] = needs(args, 2, 'add-member "<group>" <user>');
      const state = await client.state();
      const group = findGroup(state, groupText);
      const member = findPrincipal(state, memberText);
      if (group.members.includes(principalId(member)))
        return `${principalName(member)} is already a member of "${group.displayName}".`;
      await client.call('POST', `/groups/${group.id}/members`, { memberId: principalId(member) });
      return `Added ${principalName(member)} to "${group.displayName}".`;
    },
  },
  'remove-member': {
    usage: 'remove-member "<group>" <user or group>',
    about: 'removes a direct member from a group',
    run: async (client, args) => {
      const [groupText = '', memberText = ''] = needs(args, 2, 'remove-member "<group>" <user>');
      const state = await client.state();
      const group = findGroup(state, groupText);
      const member = findPrincipal(state, memberText);
      if (!group.members.includes(principalId(member)))
        throw new CliError(
          `${principalName(member)} is not a direct member of "${group.displayName}".`,
        );
      await client.call('DELETE', `/groups/${group.id}/members/${principalId(member)}`);
      return `Removed ${principalName(member)} from "${group.displayName}".`;
    },
  },
  'create-user': {
    usage: 'create-user "<display name>" [sign-in name]',
    about:
      'a new user; the sign-in name defaults to given.surname@<domain>, mail to the sign-in name',
    run: async (client, args) => {
      const given = args.filter((arg) => arg.trim() !== '');
      if (given.length < 1 || given.length > 2)
        throw new CliError(
          'Usage: npm run tenant -- create-user "<display name>" [sign-in name]',
          2,
        );
      const [displayName = '', upn] = given;
      const state = await client.state();
      if (
        upn !== undefined &&
        state.users.some((user) => user.userPrincipalName.toLowerCase() === upn.toLowerCase())
      )
        throw new CliError(`A user with the sign-in name ${upn} already exists.`);
      const user = (await client.call('POST', '/users', {
        displayName,
        ...(upn === undefined ? {} : { userPrincipalName: upn }),
      })) as UserObject;
      return `Created user ${user.displayName} (${user.userPrincipalName}) with id ${user.id}.`;
    },
  },
};
