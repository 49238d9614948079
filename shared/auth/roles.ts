/**
 * From Entra app roles to a MishikaLLM user role (DESIGN.md, "Who gets a user row, and which
 * role"). Pure: the sign-in passes the `roles` claim, a full pass the values of the roles its
 * assignments name (`appRoleValuesOf`); both then ask `entraRoleOf`.
 */
import { userRoles, type RoleMappings, type UserRole } from '../config/params.js';
import type { Settings } from '../config/settings.js';

/** What `appRoleValuesOf` needs of a role definition (the graph reader's `AppRoleDefinition`). */
export interface RoleDefinition {
  readonly id: string;
  readonly value: string | null;
  readonly isEnabled: boolean;
}

/** Most privileged first: the order in which a user's roles are compared. */
export const ROLES_BY_PRIVILEGE: readonly UserRole[] = userRoles;

export interface EntraRole {
  /** The most privileged role any of the values maps to; undefined when none maps. */
  readonly role: UserRole | undefined;
  /** Values that are no role's name and have no mapping, for the caller to report once. */
  readonly unmappedValues: readonly string[];
}

function isUserRole(value: string): value is UserRole {
  return (userRoles as readonly string[]).includes(value);
}

/** The role one value maps to: its `role_mappings` entry, else the role of that name. */
function roleOfValue(value: string, mappings: RoleMappings): UserRole | undefined {
  if (Object.hasOwn(mappings, value)) return mappings[value];
  return isUserRole(value) ? value : undefined;
}

/**
 * The highest-privilege MishikaLLM role among the user's app role values. A value equal to a
 * role's name maps to that role, `role_mappings` maps the others (and wins over the name, as
 * what the operator wrote down); a value neither covers is ignored and listed in
 * `unmappedValues`. Undefined `role` means "use the default role".
 */
export function entraRoleOf(appRoleValues: Iterable<string>, mappings: RoleMappings): EntraRole {
  let best: number | undefined;
  const unmapped = new Set<string>();
  for (const value of appRoleValues) {
    const role = roleOfValue(value, mappings);
    if (role === undefined) {
      unmapped.add(value);
      continue;
    }
    const rank = ROLES_BY_PRIVILEGE.indexOf(role);
    if (best === undefined || rank < best) best = rank;
  }
  return {
    role: best === undefined ? undefined : ROLES_BY_PRIVILEGE[best],
    unmappedValues: [...unmapped],
  };
}

/**
 * The values of the app roles an assignment listing names, as the `roles` claim would carry
 * them: "Default Access", roles the app no longer defines, disabled roles and roles without a
 * value give nothing.
 */
export function appRoleValuesOf(
  appRoleIds: Iterable<string>,
  definitions: readonly RoleDefinition[],
): string[] {
  const valueById = new Map(
    definitions
      .filter((role) => role.isEnabled && role.value !== null)
      .map((role) => [role.id.toLowerCase(), role.value ?? '']),
  );
  const values = new Set<string>();
  for (const id of appRoleIds) {
    const value = valueById.get(id.toLowerCase());
    if (value !== undefined) values.add(value);
  }
  return [...values];
}

/**
 * Whether any enabled app role of the app maps to a MishikaLLM role. Without one, roles are not
 * synced at all: `entraRole` is not written and `userRole` is left as it is (v1).
 */
export function someAppRoleMaps(
  definitions: readonly RoleDefinition[],
  mappings: RoleMappings,
): boolean {
  const values = definitions.flatMap((role) =>
    role.isEnabled && role.value !== null ? [role.value] : [],
  );
  return entraRoleOf(values, mappings).role !== undefined;
}

/**
 * Whether someone administers the operator console: their Entra role is `proxy_admin`, or they
 * hold the app role CONSOLE_ADMIN_ROLE names.
 */
export function isConsoleAdmin(
  appRoleValues: Iterable<string>,
  access: Pick<Settings['access'], 'roleMappings' | 'consoleAdminRole'>,
): boolean {
  const values = [...appRoleValues];
  return (
    values.includes(access.consoleAdminRole) ||
    entraRoleOf(values, access.roleMappings).role === 'proxy_admin'
  );
}

/**
 * A reporter that passes each unmapped app role value on once per process (a role nobody
 * mapped would otherwise be logged at every sign-in).
 */
export function unmappedRoleReporter(
  report: (value: string) => void,
): (values: readonly string[]) => void {
  const reported = new Set<string>();
  return (values) => {
    for (const value of values) {
      if (reported.has(value)) continue;
      reported.add(value);
      report(value);
    }
  };
}
