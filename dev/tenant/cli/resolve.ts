/**
 * Finding the group or user a person typed: by id, or by name ignoring case (a user also by
 * sign-in name or mail). None or several matches are answered in words, naming what there is.
 */
import type { ParsedTenantData } from '../model.js';
import { CliError } from './cli-error.js';

type Group = ParsedTenantData['groups'][number];
type User = ParsedTenantData['users'][number];

export type Principal = { kind: 'user'; user: User } | { kind: 'group'; group: Group };

const same = (a: string | null | undefined, b: string) =>
  typeof a === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

function listed(names: string[]): string {
  const shown = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${shown.join(', ')} and ${names.length - 8} more` : shown.join(', ');
}

export function findGroup(state: ParsedTenantData, text: string): Group {
  const byId = state.groups.find((group) => same(group.id, text));
  if (byId !== undefined) return byId;
  const named = state.groups.filter((group) => same(group.displayName, text));
  if (named.length === 1 && named[0] !== undefined) return named[0];
  if (named.length > 1) {
    throw new CliError(
      `${named.length} groups are named "${text}" (${named.map((group) => group.id).join(', ')}): give the id instead.`,
    );
  }
  throw new CliError(
    `No group is named "${text}". Groups: ${listed(state.groups.map((group) => group.displayName))}.`,
  );
}

function matchingUsers(state: ParsedTenantData, text: string): User[] {
  const byKey = state.users.filter(
    (user) => same(user.id, text) || same(user.userPrincipalName, text) || same(user.mail, text),
  );
  return byKey.length > 0 ? byKey : state.users.filter((user) => same(user.displayName, text));
}

export function findUser(state: ParsedTenantData, text: string): User {
  const users = matchingUsers(state, text);
  if (users.length === 1 && users[0] !== undefined) return users[0];
  if (users.length > 1) {
    throw new CliError(
      `${users.length} users match "${text}" (${users.map((user) => user.userPrincipalName).join(', ')}): give the sign-in name or id instead.`,
    );
  }
  throw new CliError(
    `No user matches "${text}" (by sign-in name, mail, name or id). Run \`npm run tenant -- users\` to see them.`,
  );
}

/** A member to add or remove: a user, or a group (nesting). */
export function findPrincipal(state: ParsedTenantData, text: string): Principal {
  const users = matchingUsers(state, text);
  const groups = state.groups.filter(
    (group) => same(group.id, text) || same(group.displayName, text),
  );
  if (users.length + groups.length > 1) {
    throw new CliError(
      `"${text}" matches ${users.length + groups.length} users and groups: give the sign-in name or id instead.`,
    );
  }
  const [user] = users;
  if (user !== undefined) return { kind: 'user', user };
  const [group] = groups;
  if (group !== undefined) return { kind: 'group', group };
  throw new CliError(
    `No user or group matches "${text}". Run \`npm run tenant -- users\` or \`groups\` to see them.`,
  );
}

export function principalId(principal: Principal): string {
  return principal.kind === 'user' ? principal.user.id : principal.group.id;
}

export function principalName(principal: Principal): string {
  return principal.kind === 'user'
    ? `${principal.user.displayName} (${principal.user.userPrincipalName})`
    : `the group "${principal.group.displayName}"`;
}
