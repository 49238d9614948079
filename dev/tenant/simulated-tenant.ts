/** What `startSimulatedTenant` takes and returns (see docs/simulated-tenant.md). */
import type { FaultRegistry, FaultSpec } from './faults.js';
import type { FeedAdmin } from './feed-admin.js';
import type { DeltaCounters, NotificationCounters } from './feed-counters.js';
import type { FeedSettings } from './feed-settings.js';
import type {
  AppRoleAssignment,
  GroupObject,
  ParsedTenantData,
  TenantData,
  TenantGroupInput,
  TenantUserInput,
  UserObject,
} from './model.js';
import type { AuthorizeRequestRecord } from './oidc.js';
import type { ResourceUnitBudget } from './resource-budget.js';
import type { IssueTokenOptions } from './tokens.js';

export type CertificateOption =
  | { certPath: string; keyPath: string; caPath?: string }
  | { cert: string; key: string; caPath?: string };

export interface SimulatedTenantOptions {
  /** Tenant data, or the path of a JSON tenant file. */
  tenant: TenantData | string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Default page size of Graph collections (Graph's is 100). */
  pageSize?: number;
  /** The resource-unit budget; off (false) by default. `true` uses Graph's defaults. */
  throttling?: ResourceUnitBudget | boolean;
  /** Default: `ensureDevCertificate()`. */
  certificate?: CertificateOption;
  /** Refuse authorization requests without PKCE (S256). Default true. */
  requirePkce?: boolean;
  /** Called with one line per request (method, path, status). */
  onRequest?: (line: string) => void;
  /**
   * Keeps the directory in this JSON file: started from it when it exists (else from `tenant`,
   * which then seeds it), rewritten after every admin change. `reset` goes back to `tenant`.
   */
  stateFile?: string;
  /** Delta token lifetime, notification batching, timeouts and retries (see `FeedSettings`). */
  feeds?: Partial<FeedSettings>;
}

export interface TenantCounters {
  /** Requests by normalised route, e.g. `GET /v1.0/groups/{id}/transitiveMembers` (sub-requests of `$batch` included). */
  requestsByRoute: Record<string, number>;
  /** Responses by status code (sub-responses of `$batch` included). */
  statuses: Record<string, number>;
  /** Resource units charged to Graph requests that were not throttled (counted even with throttling off). */
  resourceUnitsSpent: number;
  /** Sub-requests received inside `$batch` requests. */
  batchSubRequests: number;
  /** Requests answered with 429 by the budget (not injected faults). */
  throttled: number;
  /** HTTP requests received (admin API excluded). */
  total: number;
  /** `groups/delta` rounds and refusals. */
  delta: DeltaCounters;
  /** Subscriptions and the notifications sent for them. */
  notifications: NotificationCounters;
}

export interface TenantAdmin extends FeedAdmin {
  addUser(user: TenantUserInput): UserObject;
  addGroup(group: TenantGroupInput): GroupObject;
  /** Adds a user or a group (nesting) to a group. */
  addMember(groupId: string, memberId: string): void;
  removeMember(groupId: string, memberId: string): void;
  /**
   * Assigns a group to the app with an app role, given by id or by value ("Default Access"
   * when absent). A principal may hold several roles: one assignment each.
   */
  assignGroup(groupId: string, appRole?: string): AppRoleAssignment;
  /** Removes the group's assignment with that role, or every assignment of the group. */
  unassignGroup(groupId: string, appRole?: string): void;
  /** Assigns a user directly, like `assignGroup`. */
  assignUser(userId: string, appRole?: string): AppRoleAssignment;
  unassignUser(userId: string, appRole?: string): void;
  renameGroup(groupId: string, displayName: string): void;
  /** Soft deletion (Entra's recycle bin) unless `permanent`. */
  deleteGroup(groupId: string, options?: { permanent?: boolean }): void;
  deleteUser(userId: string): void;
  disableUser(userId: string): void;
  enableUser(userId: string): void;
  updateUser(
    userId: string,
    patch: { displayName?: string; userPrincipalName?: string; mail?: string | null },
  ): UserObject;
  /** The current directory in the tenant-file shape. */
  getState(): ParsedTenantData;
  /** Back to the tenant data it was given (keys, faults and counters are kept). */
  reset(): void;
}

export interface TenantFaults {
  /** Returns the fault's id (for `remove`). */
  inject(fault: FaultSpec): number;
  remove(id: number): boolean;
  clear(): void;
  list(): ReturnType<FaultRegistry['list']>;
}

export interface SimulatedTenant {
  baseUrl: string;
  authorityHost: string;
  graphEndpoint: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  appIdUri: string;
  servicePrincipalId: string;
  /** The CA file to trust (NODE_EXTRA_CA_CERTS), when known. */
  caPath: string | undefined;
  /** The env lines a service process needs to use this tenant. */
  env: Record<string, string>;
  issueToken(opts: IssueTokenOptions): Promise<string>;
  /** A new signing key; the old one leaves the JWKS unless `keepPrevious`. Returns the new kid. */
  rotateSigningKey(opts?: { keepPrevious?: boolean }): Promise<string>;
  admin: TenantAdmin;
  faults: TenantFaults;
  counters(): TenantCounters;
  resetCounters(): void;
  /** Changes the page size or the budget at run time. */
  configure(opts: { pageSize?: number; throttling?: ResourceUnitBudget | boolean }): void;
  /** The last authorize requests received (newest last). */
  authorizeRequests(): AuthorizeRequestRecord[];
  stop(): Promise<void>;
}
