/**
 * `DirectoryReader` over Microsoft Graph v1.0. Which calls it makes, the permissions they need
 * and the throttling policy are in docs/graph.md.
 */
import type { GroupMembership, Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { GraphClientHandle } from './client.js';
import type {
  AppAssignments,
  AppRoleDefinition,
  AssignedGroup,
  AssignedPrincipal,
  DirectoryReader,
  EntraUser,
  GroupMembers,
  UserWithGroups,
} from './directory.js';
import {
  Listing,
  readAppRole,
  readAssignment,
  readId,
  readString,
  readUser,
  type Assignment,
  type ListingFailure,
  type ListingResult,
} from './listing.js';
import {
  describeRequest,
  graphErrorSummary,
  isRecord,
  type GraphJob,
  type GraphRequest,
  type GraphRequestRunner,
  type GraphResponse,
} from './requests.js';

/** Graph's largest page for directory collections. */
export const MAX_PAGE_SIZE = 999;

const USER_FIELDS = 'id,displayName,userPrincipalName,mail,accountEnabled';

const segment = encodeURIComponent;

/** The coded error for an answer that waiting will not fix. */
function errorForAnswer(request: GraphRequest, response: GraphResponse): SyncServiceError {
  const denied = response.status === 401 || response.status === 403;
  return new SyncServiceError(
    denied ? 'graph_denied' : 'graph_unavailable',
    `Microsoft Graph answered ${graphErrorSummary(response)} to ${describeRequest(request)}${
      denied ? ' (check the app permissions in docs/graph.md)' : ''
    }`,
  );
}

function errorForListing(request: GraphRequest, failure: ListingFailure): SyncServiceError {
  switch (failure.kind) {
    case 'status':
      return errorForAnswer(request, failure.response);
    case 'malformed':
      return new SyncServiceError(
        'graph_incomplete',
        `Page ${failure.page} of ${describeRequest(request)} could not be read: ${failure.detail}`,
      );
    case 'gave-up':
      return failure.error;
  }
}

function reasonForGroup(failure: ListingFailure): string {
  switch (failure.kind) {
    case 'status':
      return failure.response.status === 404
        ? 'the group was not found (deleted after it was listed?)'
        : `Graph answered ${graphErrorSummary(failure.response)} on page ${failure.page}`;
    case 'malformed':
      return `page ${failure.page} could not be read: ${failure.detail}`;
    case 'gave-up':
      return `page ${failure.page}: ${failure.error.message}`;
  }
}

/** A single request's final answer, or the coded error after the retries. */
class OneAnswer implements GraphJob {
  answer: GraphResponse | undefined;
  error: SyncServiceError | undefined;

  constructor(readonly request: GraphRequest) {}

  readonly onAnswer = (response: GraphResponse): undefined => {
    this.answer = response;
  };

  readonly onGiveUp = (error: SyncServiceError): void => {
    this.error = error;
  };

  /** The answer after the run; throws what went wrong. */
  get response(): GraphResponse {
    if (this.error !== undefined) throw this.error;
    if (this.answer === undefined) {
      throw new SyncServiceError(
        'graph_unavailable',
        `No answer to ${describeRequest(this.request)}`,
      );
    }
    return this.answer;
  }
}

function readUserAnswer(job: OneAnswer): EntraUser | null {
  const response = job.response;
  if (response.status === 404) return null;
  if (response.status !== 200) throw errorForAnswer(job.request, response);
  const user = readUser(response.body);
  if (user === undefined) {
    throw new SyncServiceError(
      'graph_incomplete',
      `The answer to ${describeRequest(job.request)} is not a user`,
    );
  }
  return user;
}

function listingOutcome<T>(listing: Listing<T>, request: GraphRequest): readonly T[] {
  const result = listing.result;
  if (result === undefined) {
    throw new SyncServiceError('graph_incomplete', `${describeRequest(request)} did not finish`);
  }
  if (!result.complete) throw errorForListing(request, result.failure);
  return result.items;
}

export class GraphDirectoryReader implements DirectoryReader {
  private servicePrincipalLookup: Promise<string> | undefined;
  private readonly versionRoot: string;

  constructor(
    private readonly entra: Settings['entra'],
    private readonly graph: GraphClientHandle,
    private readonly runner: GraphRequestRunner,
    private readonly pageSize: number = MAX_PAGE_SIZE,
  ) {
    this.versionRoot = `${entra.graphEndpoint}/v1.0/`;
  }

  get requestCount(): number {
    return this.graph.requestCount();
  }

  servicePrincipalId(): Promise<string> {
    if (this.entra.servicePrincipalId !== undefined) {
      return Promise.resolve(this.entra.servicePrincipalId);
    }
    // Shared by concurrent callers; forgotten on failure so the next call tries again.
    this.servicePrincipalLookup ??= this.lookUpServicePrincipal().catch((error: unknown) => {
      this.servicePrincipalLookup = undefined;
      throw error;
    });
    return this.servicePrincipalLookup;
  }

  private async lookUpServicePrincipal(): Promise<string> {
    const lookup = new OneAnswer({
      method: 'GET',
      url: `/servicePrincipals(appId='${segment(this.entra.clientId)}')?$select=id`,
    });
    await this.runner.run([lookup], 'single');
    const response = lookup.response;
    if (response.status === 404) {
      throw new SyncServiceError(
        'graph_denied',
        `The tenant has no service principal (enterprise application) for client id ${this.entra.clientId}`,
      );
    }
    if (response.status !== 200) throw errorForAnswer(lookup.request, response);
    const id = isRecord(response.body) ? response.body.id : undefined;
    if (typeof id !== 'string') {
      throw new SyncServiceError('graph_incomplete', 'The service principal lookup returned no id');
    }
    return id;
  }

  async assignedGroups(): Promise<readonly AssignedGroup[]> {
    const { groups } = await this.appAssignments();
    return groups.map(({ id, displayName }) => ({ id, displayName }));
  }

  async appAssignments(): Promise<AppAssignments> {
    const servicePrincipalId = await this.servicePrincipalId();
    const request: GraphRequest = {
      method: 'GET',
      url: `/servicePrincipals/${segment(servicePrincipalId)}/appRoleAssignedTo?$select=principalId,principalType,principalDisplayName,appRoleId&$top=${this.pageSize}`,
    };
    const listing = new Listing(request, readAssignment, this.versionRoot);
    await this.runner.run([listing.firstJob()], 'single');
    return assignmentsByPrincipal(listingOutcome(listing, request));
  }

  async appRoles(): Promise<readonly AppRoleDefinition[]> {
    const servicePrincipalId = await this.servicePrincipalId();
    const lookup = new OneAnswer({
      method: 'GET',
      url: `/servicePrincipals/${segment(servicePrincipalId)}?$select=appRoles`,
    });
    await this.runner.run([lookup], 'single');
    const response = lookup.response;
    if (response.status !== 200) throw errorForAnswer(lookup.request, response);
    const listed = isRecord(response.body) ? response.body.appRoles : undefined;
    const roles = Array.isArray(listed) ? listed.map(readAppRole) : [undefined];
    if (roles.some((role) => role === undefined)) {
      throw new SyncServiceError(
        'graph_incomplete',
        `The answer to ${describeRequest(lookup.request)} has no readable appRoles`,
      );
    }
    return roles.filter((role) => role !== undefined);
  }

  async userWithGroups(userId: string, membership: GroupMembership): Promise<UserWithGroups> {
    const profile = new OneAnswer({
      method: 'GET',
      url: `/users/${segment(userId)}?$select=${USER_FIELDS}`,
    });
    const groupsRequest: GraphRequest =
      membership === 'transitive'
        ? {
            method: 'POST',
            url: `/users/${segment(userId)}/getMemberGroups`,
            body: { securityEnabledOnly: false },
          }
        : {
            method: 'GET',
            url: `/users/${segment(userId)}/memberOf/microsoft.graph.group?$select=id&$top=${this.pageSize}`,
          };
    const groups =
      membership === 'transitive'
        ? new Listing(groupsRequest, readString, this.versionRoot)
        : new Listing(groupsRequest, readId, this.versionRoot);
    await this.runner.run([profile, groups.firstJob()], 'batch');

    const user = readUserAnswer(profile);
    if (user === null) return { user: undefined, groupIds: new Set() };
    return { user, groupIds: new Set(listingOutcome(groups, groupsRequest)) };
  }

  async groupMembers(
    groupIds: readonly string[],
    membership: GroupMembership,
    onGroupDone?: (done: number, total: number) => void,
  ): Promise<ReadonlyMap<string, GroupMembers>> {
    const unique = [...new Set(groupIds)];
    const relation = membership === 'transitive' ? 'transitiveMembers' : 'members';
    const settled = new Map<string, GroupMembers>();
    const listings = unique.map(
      (groupId) =>
        new Listing(
          {
            method: 'GET',
            url: `/groups/${segment(groupId)}/${relation}/microsoft.graph.user?$select=${USER_FIELDS}&$top=${this.pageSize}`,
          },
          readUser,
          this.versionRoot,
          (result) => {
            settled.set(groupId, groupMembersOf(groupId, result));
            onGroupDone?.(settled.size, unique.length);
          },
        ),
    );
    await this.runner.run(
      listings.map((listing) => listing.firstJob()),
      'batch',
    );
    const result = new Map<string, GroupMembers>();
    for (const groupId of unique) {
      result.set(
        groupId,
        settled.get(groupId) ?? { groupId, complete: false, reason: 'the listing did not finish' },
      );
    }
    return result;
  }

  async users(userIds: readonly string[]): Promise<ReadonlyMap<string, EntraUser | null>> {
    const lookups = [...new Set(userIds)].map(
      (userId) =>
        [
          userId,
          new OneAnswer({ method: 'GET', url: `/users/${segment(userId)}?$select=${USER_FIELDS}` }),
        ] as const,
    );
    await this.runner.run(
      lookups.map(([, lookup]) => lookup),
      'batch',
    );
    return new Map(lookups.map(([userId, lookup]) => [userId, readUserAnswer(lookup)]));
  }
}

/** One entry per group and per user, holding every role it was assigned (once each). */
function assignmentsByPrincipal(assignments: readonly Assignment[]): AppAssignments {
  const groups = new Map<string, { displayName: string; appRoleIds: Set<string> }>();
  const users = new Map<string, { displayName: string; appRoleIds: Set<string> }>();
  for (const assignment of assignments) {
    const byId =
      assignment.principalType === 'Group'
        ? groups
        : assignment.principalType === 'User'
          ? users
          : undefined;
    if (byId === undefined) continue;
    const entry = byId.get(assignment.principalId) ?? {
      displayName: assignment.principalDisplayName,
      appRoleIds: new Set<string>(),
    };
    entry.appRoleIds.add(assignment.appRoleId);
    byId.set(assignment.principalId, entry);
  }
  const principals = (byId: typeof groups): AssignedPrincipal[] =>
    [...byId].map(([id, { displayName, appRoleIds }]) => ({
      id,
      displayName,
      appRoleIds: [...appRoleIds],
    }));
  return { groups: principals(groups), users: principals(users) };
}

function groupMembersOf(groupId: string, result: ListingResult<EntraUser>): GroupMembers {
  if (!result.complete) return { groupId, complete: false, reason: reasonForGroup(result.failure) };
  // A user can appear twice across pages if the group changes while it is read.
  const members = new Map(result.items.map((user) => [user.id, user]));
  return { groupId, complete: true, members: [...members.values()] };
}
