/**
 * Which MishikaLLM role Entra's app roles give each user (DESIGN.md, "Who gets a user row, and
 * which role"). A sign-in reads the token's `roles` claim; a full pass or a groups scope reads
 * the app's assignments. Both count what Entra puts in the claim: the user's own assignments
 * and those of the assigned groups the user is a *direct* member of, since group-based
 * assignment does not follow nested groups. So the two never disagree about a user's role.
 */
import { appRoleValuesOf, entraRoleOf, someAppRoleMaps } from '../auth/roles.js';
import type { RoleMappings, UserRole } from '../config/params.js';
import type { AppAssignments, AppRoleDefinition, DirectoryReader } from '../graph/directory.js';

/** The app's assignments and role definitions, read together. */
export interface AppAccess {
  readonly assignments: AppAssignments;
  readonly definitions: readonly AppRoleDefinition[];
}

export interface EntraRoles {
  /** As `DesiredState.entraRoles`: undefined when roles are not synced, or not known this time. */
  readonly roles: ReadonlyMap<string, UserRole | undefined> | undefined;
  /** App role values seen that map to no MishikaLLM role, to be reported once. */
  readonly unmappedValues: readonly string[];
}

const NOT_SYNCED: EntraRoles = { roles: undefined, unmappedValues: [] };

export async function readAppAccess(
  directory: DirectoryReader,
  options?: { readonly maxAgeSeconds?: number },
): Promise<AppAccess> {
  const [assignments, definitions] = await Promise.all([
    directory.appAssignments(options),
    directory.appRoles(options),
  ]);
  return { assignments, definitions };
}

/** Whether a user is assigned to the app themselves (a `User` principal in `appRoleAssignedTo`). */
export function isAssignedDirectly(access: AppAccess, userId: string): boolean {
  return access.assignments.users.some((user) => user.id.toLowerCase() === userId);
}

/** The signed-in user's role from their token's `roles` claim (no claim: no roles). */
export function rolesFromClaim(
  userId: string,
  claim: readonly string[],
  access: AppAccess,
  mappings: RoleMappings,
): EntraRoles {
  if (!someAppRoleMaps(access.definitions, mappings)) return NOT_SYNCED;
  const { role, unmappedValues } = entraRoleOf(claim, mappings);
  return { roles: new Map([[userId, role]]), unmappedValues };
}

/**
 * The roles of the given users from the assignments: their own, and those of the assigned
 * groups whose roles map, whose direct members are read for it. When such a group cannot be
 * read completely nobody's role is known this time (a missing admin would look demoted).
 */
export async function rolesFromAssignments(
  directory: DirectoryReader,
  access: AppAccess,
  mappings: RoleMappings,
  userIds: Iterable<string>,
): Promise<EntraRoles> {
  if (!someAppRoleMaps(access.definitions, mappings)) return NOT_SYNCED;
  const valuesOf = (appRoleIds: readonly string[]) =>
    appRoleValuesOf(appRoleIds, access.definitions);
  const { groups, users } = access.assignments;
  const unmappedValues = entraRoleOf(
    [...groups, ...users].flatMap((principal) => valuesOf(principal.appRoleIds)),
    mappings,
  ).unmappedValues;

  const valuesByUser = new Map<string, string[]>();
  const add = (userId: string, values: readonly string[]) => {
    const id = userId.toLowerCase();
    valuesByUser.set(id, [...(valuesByUser.get(id) ?? []), ...values]);
  };
  for (const user of users) add(user.id, valuesOf(user.appRoleIds));

  const roleGroups = groups
    .map((group) => ({ id: group.id.toLowerCase(), values: valuesOf(group.appRoleIds) }))
    .filter((group) => entraRoleOf(group.values, mappings).role !== undefined);
  if (roleGroups.length > 0) {
    const listings = await directory.groupMembers(
      roleGroups.map((group) => group.id),
      'direct',
    );
    for (const group of roleGroups) {
      const listing = listings.get(group.id);
      if (listing?.complete !== true) return { roles: undefined, unmappedValues };
      for (const member of listing.members) add(member.id, group.values);
    }
  }

  const roles = new Map<string, UserRole | undefined>();
  for (const userId of userIds) {
    roles.set(userId, entraRoleOf(valuesByUser.get(userId) ?? [], mappings).role);
  }
  return { roles, unmappedValues };
}
