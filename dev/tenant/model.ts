/**
 * The simulated tenant's data: the JSON schema (zod) of `dev/tenants/*.json` and the mutable
 * in-memory directory the server answers from.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'lower-case GUID');

/** The app role id Entra uses for "Default Access" (an assignment without a specific role). */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

export const tenantUserSchema = z.object({
  id: guid,
  displayName: z.string().min(1),
  userPrincipalName: z.string().min(3),
  mail: z.string().nullable().optional(),
  givenName: z.string().nullable().optional(),
  surname: z.string().nullable().optional(),
  jobTitle: z.string().nullable().optional(),
  accountEnabled: z.boolean().default(true),
});

export const tenantGroupSchema = z.object({
  id: guid,
  displayName: z.string().min(1),
  description: z.string().nullable().optional(),
  securityEnabled: z.boolean().default(true),
  mailEnabled: z.boolean().default(false),
  /** `['Unified']` for a Microsoft 365 group, `[]` for a security group. */
  groupTypes: z.array(z.string()).default([]),
  mail: z.string().nullable().optional(),
  mailNickname: z.string().optional(),
  /** Direct members: user ids or group ids (a group id nests that group). */
  members: z.array(guid).default([]),
});

export const appRoleSchema = z.object({
  id: guid,
  value: z.string().nullable().optional(),
  displayName: z.string(),
  description: z.string().optional(),
  allowedMemberTypes: z.array(z.string()).default(['User']),
  isEnabled: z.boolean().default(true),
});

export const tenantAppSchema = z.object({
  clientId: guid,
  clientSecret: z.string().min(8),
  /**
   * Certificates registered on the app (*Certificates & secrets → Certificates*), as PEM: the
   * token endpoint accepts a client assertion signed with the private key of any of them.
   */
  certificates: z.array(z.string().includes('-----BEGIN CERTIFICATE-----')).default([]),
  servicePrincipalId: guid,
  /** The app registration's object id (`/applications/{id}`); derived from the client id when absent. */
  applicationObjectId: guid.optional(),
  displayName: z.string().default('MishikaLLM'),
  /**
   * Redirect URIs registered on the app. Any `http(s)://localhost|127.0.0.1[:port]/...` URI is
   * accepted as well when `allowLoopbackRedirects` is true (the default), since test ports vary.
   */
  redirectUris: z.array(z.string()).default([]),
  allowLoopbackRedirects: z.boolean().default(true),
  appRoles: z.array(appRoleSchema).default([]),
  /** Which groups the `groups` claim carries, like the app manifest's `groupMembershipClaims`. */
  groupMembershipClaims: z.enum(['None', 'SecurityGroup', 'All']).default('SecurityGroup'),
});

export const assignmentSchema = z.object({
  principalId: guid,
  appRoleId: guid.default(DEFAULT_ACCESS_ROLE_ID),
  id: z.string().optional(),
  createdDateTime: z.string().optional(),
});

export const tenantDataSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    tenantId: guid,
    displayName: z.string().default('Contoso'),
    domain: z.string().default('contoso.onmicrosoft.com'),
    app: tenantAppSchema,
    users: z.array(tenantUserSchema),
    groups: z.array(tenantGroupSchema),
    /** Principals (groups, optionally users) assigned to the app's service principal. */
    assignments: z.array(assignmentSchema).default([]),
  })
  .superRefine((t, ctx) => {
    const ids = new Set<string>();
    const add = (id: string, path: (string | number)[]): void => {
      if (ids.has(id)) ctx.addIssue({ code: 'custom', path, message: `duplicate object id ${id}` });
      ids.add(id);
    };
    t.users.forEach((u, i) => {
      add(u.id, ['users', i, 'id']);
    });
    t.groups.forEach((g, i) => {
      add(g.id, ['groups', i, 'id']);
    });
    t.groups.forEach((g, i) => {
      g.members.forEach((m, j) => {
        if (!ids.has(m)) {
          ctx.addIssue({
            code: 'custom',
            path: ['groups', i, 'members', j],
            message: `unknown member ${m}`,
          });
        }
        if (m === g.id) {
          ctx.addIssue({
            code: 'custom',
            path: ['groups', i, 'members', j],
            message: 'a group cannot contain itself',
          });
        }
      });
    });
    const roleIds = new Set([DEFAULT_ACCESS_ROLE_ID, ...t.app.appRoles.map((r) => r.id)]);
    t.assignments.forEach((a, i) => {
      if (!ids.has(a.principalId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['assignments', i, 'principalId'],
          message: `unknown principal ${a.principalId}`,
        });
      }
      if (!roleIds.has(a.appRoleId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['assignments', i, 'appRoleId'],
          message: `unknown app role ${a.appRoleId} (not in app.appRoles)`,
        });
      }
    });
  });

export type TenantData = z.input<typeof tenantDataSchema>;
export type ParsedTenantData = z.output<typeof tenantDataSchema>;
export type TenantUserInput = z.input<typeof tenantUserSchema>;
export type TenantGroupInput = z.input<typeof tenantGroupSchema>;

/** Parses and validates tenant data; the error names the file and every problem. */
export function parseTenantData(data: unknown, source = 'tenant data'): ParsedTenantData {
  const result = tenantDataSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new Error(`Invalid ${source}:\n${problems}`);
  }
  return result.data;
}

export function loadTenantFile(path: string): ParsedTenantData {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read tenant file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseTenantData(json, `tenant file ${path}`);
}

/** A group without members: they are added afterwards, once every object exists. */
function groupObject(g: z.output<typeof tenantGroupSchema>, createdDateTime: string): GroupObject {
  return {
    id: g.id,
    displayName: g.displayName,
    description: g.description ?? null,
    securityEnabled: g.securityEnabled,
    mailEnabled: g.mailEnabled,
    groupTypes: [...g.groupTypes],
    mail: g.mail ?? null,
    mailNickname: g.mailNickname ?? nickname(g.displayName),
    createdDateTime,
    members: new Set(),
  };
}

function userObject(u: z.output<typeof tenantUserSchema>, createdDateTime: string): UserObject {
  return {
    id: u.id,
    displayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail ?? null,
    givenName: u.givenName ?? null,
    surname: u.surname ?? null,
    jobTitle: u.jobTitle ?? null,
    accountEnabled: u.accountEnabled,
    createdDateTime,
  };
}

export interface UserObject {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  createdDateTime: string;
}

export interface GroupObject {
  id: string;
  displayName: string;
  description: string | null;
  securityEnabled: boolean;
  mailEnabled: boolean;
  groupTypes: string[];
  mail: string | null;
  mailNickname: string;
  createdDateTime: string;
  /** Direct members in insertion order (user and group ids). */
  members: Set<string>;
}

export interface AppRoleAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  createdDateTime: string;
}

/** One entry of the change log `groups/delta` reads. */
export interface GroupChange {
  seq: number;
  groupId: string;
  kind: 'upsert' | 'deleted' | 'memberAdded' | 'memberRemoved';
  memberId?: string;
  /** What the member was, kept because a deleted member can no longer be looked up. */
  memberType?: 'user' | 'group';
  /**
   * For `deleted` and `memberRemoved`: `changed` when the object was soft-deleted (restorable,
   * memberships included), `deleted` when it is gone for good (or the link was removed).
   */
  reason?: 'changed' | 'deleted';
}

export class DirectoryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An assignment id shaped like Entra's (base64url of the principal id bytes, then a part that
 * tells one role of the principal from another).
 */
export function assignmentIdFor(principalId: string, appRoleId = DEFAULT_ACCESS_ROLE_ID): string {
  const principal = Buffer.from(principalId.replace(/-/g, ''), 'hex').toString('base64url');
  if (appRoleId === DEFAULT_ACCESS_ROLE_ID) return `${principal}AAAAAAAAAAAAAA`;
  return principal + createHash('sha256').update(appRoleId).digest('base64url').slice(0, 14);
}

function nickname(displayName: string): string {
  return displayName.replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'group';
}

/** The live directory: users, groups, memberships and app assignments. */
export class Directory {
  readonly tenantId: string;
  readonly displayName: string;
  readonly domain: string;
  readonly app: ParsedTenantData['app'];
  readonly users = new Map<string, UserObject>();
  readonly groups = new Map<string, GroupObject>();
  /** Assignment id → assignment; a principal has one per app role it holds. */
  readonly assignments = new Map<string, AppRoleAssignment>();
  /** memberId → groups it is a direct member of. */
  private readonly parents = new Map<string, Set<string>>();
  readonly changes: GroupChange[] = [];
  /** Told of every change after it is made (change notifications listen here). */
  onChange: ((change: GroupChange) => void) | undefined;
  private seq = 0;
  private readonly created: string;

  constructor(data: ParsedTenantData) {
    this.tenantId = data.tenantId;
    this.displayName = data.displayName;
    this.domain = data.domain;
    this.app = data.app;
    this.created = new Date().toISOString();
    for (const u of data.users) this.users.set(u.id, userObject(u, this.created));
    for (const g of data.groups) this.groups.set(g.id, groupObject(g, this.created));
    for (const g of data.groups) for (const m of g.members) this.link(g.id, m);
    for (const a of data.assignments) {
      const id = a.id ?? assignmentIdFor(a.principalId, a.appRoleId);
      this.assignments.set(id, {
        id,
        appRoleId: a.appRoleId,
        principalId: a.principalId,
        createdDateTime: a.createdDateTime ?? this.created,
      });
    }
    for (const g of this.groups.values()) this.record(g.id, 'upsert');
  }

  get version(): number {
    return this.seq;
  }

  private record(
    groupId: string,
    kind: GroupChange['kind'],
    memberId?: string,
    reason?: GroupChange['reason'],
  ): void {
    this.seq += 1;
    const change: GroupChange = { seq: this.seq, groupId, kind };
    if (memberId !== undefined) {
      change.memberId = memberId;
      change.memberType = this.users.has(memberId) ? 'user' : 'group';
    }
    if (reason !== undefined) change.reason = reason;
    this.changes.push(change);
    this.onChange?.(change);
  }

  private link(groupId: string, memberId: string): void {
    this.groups.get(groupId)?.members.add(memberId);
    let set = this.parents.get(memberId);
    if (!set) {
      set = new Set();
      this.parents.set(memberId, set);
    }
    set.add(groupId);
  }

  isUser(id: string): boolean {
    return this.users.has(id);
  }

  requireGroup(id: string): GroupObject {
    const g = this.groups.get(id);
    if (!g)
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return g;
  }

  requireUser(idOrUpn: string): UserObject {
    const u = this.findUser(idOrUpn);
    if (!u)
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return u;
  }

  findUser(idOrUpn: string): UserObject | undefined {
    const byId = this.users.get(idOrUpn.toLowerCase());
    if (byId) return byId;
    const upn = idOrUpn.toLowerCase();
    for (const u of this.users.values()) if (u.userPrincipalName.toLowerCase() === upn) return u;
    return undefined;
  }

  /** Direct parents (groups) of a user or group. */
  directParents(id: string): string[] {
    return [...(this.parents.get(id) ?? [])];
  }

  /** All groups a principal is in, directly or through nesting (no duplicates, cycle-safe). */
  transitiveParents(id: string): string[] {
    const seen = new Set<string>();
    const queue = this.directParents(id);
    while (queue.length > 0) {
      const g = queue.shift();
      if (g === undefined || seen.has(g)) continue;
      seen.add(g);
      queue.push(...this.directParents(g));
    }
    seen.delete(id);
    return [...seen];
  }

  /** All members (users and groups) of a group, through nesting (no duplicates, cycle-safe). */
  transitiveMembers(groupId: string): string[] {
    const out = new Set<string>();
    const visited = new Set<string>([groupId]);
    const stack = [groupId];
    while (stack.length > 0) {
      const gid = stack.pop();
      if (gid === undefined) break;
      for (const m of this.groups.get(gid)?.members ?? []) {
        out.add(m);
        if (this.groups.has(m) && !visited.has(m)) {
          visited.add(m);
          stack.push(m);
        }
      }
    }
    out.delete(groupId);
    return [...out];
  }

  // ---- mutations (the admin API) ----

  addUser(input: TenantUserInput): UserObject {
    const u = tenantUserSchema.parse(input);
    if (this.users.has(u.id) || this.groups.has(u.id))
      throw new DirectoryError(409, 'Request_BadRequest', `Object ${u.id} already exists.`);
    const user = userObject(u, new Date().toISOString());
    this.users.set(user.id, user);
    return user;
  }

  addGroup(input: TenantGroupInput): GroupObject {
    const g = tenantGroupSchema.parse(input);
    if (this.users.has(g.id) || this.groups.has(g.id))
      throw new DirectoryError(409, 'Request_BadRequest', `Object ${g.id} already exists.`);
    const group = groupObject(g, new Date().toISOString());
    this.groups.set(group.id, group);
    this.record(group.id, 'upsert');
    for (const m of g.members) this.addMember(group.id, m);
    return group;
  }

  addMember(groupId: string, memberId: string): void {
    const g = this.requireGroup(groupId);
    if (!this.users.has(memberId) && !this.groups.has(memberId)) {
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Resource '${memberId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    if (memberId === groupId)
      throw new DirectoryError(400, 'Request_BadRequest', 'A group cannot be a member of itself.');
    if (g.members.has(memberId)) {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        "One or more added object references already exist for the following modified properties: 'members'.",
      );
    }
    this.link(groupId, memberId);
    this.record(groupId, 'memberAdded', memberId);
  }

  removeMember(groupId: string, memberId: string): void {
    const g = this.requireGroup(groupId);
    if (!g.members.delete(memberId)) {
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Resource '${memberId}' is not a member of group '${groupId}'.`,
      );
    }
    this.parents.get(memberId)?.delete(groupId);
    this.record(groupId, 'memberRemoved', memberId, 'deleted');
  }

  /** The principal's assignments (one per app role), oldest first. */
  assignmentsOf(principalId: string): AppRoleAssignment[] {
    return [...this.assignments.values()].filter((a) => a.principalId === principalId);
  }

  /**
   * The id of an app role given by id or by value (undefined: "Default Access"), refused as
   * Graph refuses it when the app has no such role, it is disabled, or users cannot hold it.
   */
  appRoleIdFor(role: string | undefined): string {
    if (role === undefined || role === DEFAULT_ACCESS_ROLE_ID) return DEFAULT_ACCESS_ROLE_ID;
    const found = this.app.appRoles.find((r) => r.id === role.toLowerCase() || r.value === role);
    if (!found) {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        `Permission being assigned was not found on application '${this.app.clientId}' (no app role with id or value '${role}').`,
      );
    }
    if (!found.isEnabled || !found.allowedMemberTypes.includes('User')) {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        `The app role '${found.value ?? found.id}' cannot be assigned to users or groups (disabled, or allowedMemberTypes lacks User).`,
      );
    }
    return found.id;
  }

  /** Assigns a user or group to the app with a role (by id or value); idempotent per role. */
  assign(principalId: string, appRole?: string): AppRoleAssignment {
    if (!this.users.has(principalId) && !this.groups.has(principalId)) {
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Resource '${principalId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    const appRoleId = this.appRoleIdFor(appRole);
    const id = assignmentIdFor(principalId, appRoleId);
    const existing = this.assignments.get(id);
    if (existing) return existing;
    const a: AppRoleAssignment = {
      id,
      appRoleId,
      principalId,
      createdDateTime: new Date().toISOString(),
    };
    this.assignments.set(id, a);
    return a;
  }

  /** Removes the principal's assignment with that role, or all of its assignments. */
  unassign(principalId: string, appRole?: string): void {
    const appRoleId = appRole === undefined ? undefined : this.appRoleIdFor(appRole);
    const removed = this.assignmentsOf(principalId).filter(
      (a) => appRoleId === undefined || a.appRoleId === appRoleId,
    );
    if (removed.length === 0) {
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Principal '${principalId}' is not assigned to the application${appRole === undefined ? '' : ` with app role '${appRole}'`}.`,
      );
    }
    for (const a of removed) this.assignments.delete(a.id);
  }

  /**
   * Values of the enabled app roles a user holds, as Entra puts them in the `roles` claim: the
   * user's own assignments and those of the groups the user is a direct member of. Entra does
   * not pass group assignments on through nested groups.
   */
  appRoleValuesOf(userId: string): string[] {
    const principals = new Set([userId, ...this.directParents(userId)]);
    const values = new Set<string>();
    for (const a of this.assignments.values()) {
      if (!principals.has(a.principalId)) continue;
      const role = this.app.appRoles.find((r) => r.id === a.appRoleId);
      if (role?.isEnabled === true && typeof role.value === 'string') values.add(role.value);
    }
    return [...values];
  }

  renameGroup(groupId: string, displayName: string): void {
    const g = this.requireGroup(groupId);
    g.displayName = displayName;
    this.record(groupId, 'upsert');
  }

  /** Soft deletion by default (Entra's recycle bin); `permanent` as when it is purged. */
  deleteGroup(groupId: string, options: { permanent?: boolean } = {}): void {
    const g = this.requireGroup(groupId);
    const reason = options.permanent === true ? 'deleted' : 'changed';
    for (const m of g.members) this.parents.get(m)?.delete(groupId);
    for (const p of this.directParents(groupId)) {
      this.groups.get(p)?.members.delete(groupId);
      this.record(p, 'memberRemoved', groupId, reason);
    }
    this.parents.delete(groupId);
    this.groups.delete(groupId);
    for (const a of this.assignmentsOf(groupId)) this.assignments.delete(a.id);
    this.record(groupId, 'deleted', undefined, reason);
  }

  deleteUser(userId: string): void {
    const u = this.requireUser(userId);
    for (const p of this.directParents(u.id)) {
      this.groups.get(p)?.members.delete(u.id);
      this.record(p, 'memberRemoved', u.id, 'changed');
    }
    this.parents.delete(u.id);
    this.users.delete(u.id);
    for (const a of this.assignmentsOf(u.id)) this.assignments.delete(a.id);
  }

  setUserEnabled(userId: string, enabled: boolean): void {
    this.requireUser(userId).accountEnabled = enabled;
  }

  updateUser(
    userId: string,
    patch: Partial<
      Pick<UserObject, 'displayName' | 'userPrincipalName' | 'mail' | 'accountEnabled'>
    >,
  ): UserObject {
    const u = this.requireUser(userId);
    Object.assign(u, patch);
    return u;
  }

  /** A JSON snapshot in the same shape as the tenant file (so it can be saved and reloaded). */
  snapshot(): ParsedTenantData {
    return {
      tenantId: this.tenantId,
      displayName: this.displayName,
      domain: this.domain,
      app: this.app,
      users: [...this.users.values()].map((u) => ({
        id: u.id,
        displayName: u.displayName,
        userPrincipalName: u.userPrincipalName,
        mail: u.mail,
        givenName: u.givenName,
        surname: u.surname,
        jobTitle: u.jobTitle,
        accountEnabled: u.accountEnabled,
      })),
      groups: [...this.groups.values()].map((g) => ({
        id: g.id,
        displayName: g.displayName,
        description: g.description,
        securityEnabled: g.securityEnabled,
        mailEnabled: g.mailEnabled,
        groupTypes: [...g.groupTypes],
        mail: g.mail,
        mailNickname: g.mailNickname,
        members: [...g.members],
      })),
      assignments: [...this.assignments.values()].map((a) => ({
        principalId: a.principalId,
        appRoleId: a.appRoleId,
        id: a.id,
        createdDateTime: a.createdDateTime,
      })),
    };
  }
}
