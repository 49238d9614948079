/**
 * Read views of the `Teams` and `Users` tables for the read API (`GET /api/teams`,
 * `/api/teams/{teamId}`, `/api/users/{userId}`): teams, a team's members, a user's teams.
 *
 * Every field of a view is always present; a property the entity does not carry is `null`.
 */
import { z } from 'zod';
import { describeError, SyncServiceError } from './errors.js';
import { assertValidKey, type Repository } from './store/index.js';
import type { MemberRole, Source, Team, TeamMember, User } from './sync/model.js';

export interface TeamSummary {
  readonly teamId: string;
  readonly teamAlias: string;
  readonly source: Source;
  readonly entraGroupId: string | null;
  readonly entraDisplayName: string | null;
  readonly archived: boolean;
  readonly maxBudget: number | null;
  readonly budgetDuration: string | null;
  readonly models: readonly string[];
  readonly tpmLimit: number | null;
  readonly rpmLimit: number | null;
  readonly createdAt: string;
  readonly createdBy: string | null;
}

export interface TeamDetail extends TeamSummary {
  readonly teamMemberPermissions: readonly string[];
  readonly archivedAt: string | null;
  readonly archivedReason: string | null;
}

export interface MemberView {
  readonly userId: string;
  readonly role: MemberRole;
  readonly source: Source;
  readonly addedAt: string;
  readonly userEmail: string | null;
}

export interface UserView {
  readonly userId: string;
  readonly userEmail: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly userRole: string;
  readonly maxBudget: number | null;
  readonly budgetDuration: string | null;
  readonly models: readonly string[];
  readonly tpmLimit: number | null;
  readonly rpmLimit: number | null;
  readonly source: Source;
  readonly accountEnabled: boolean;
  readonly deletedInEntra: boolean;
  readonly createdAt: string;
  readonly lastSignInAt: string | null;
}

/**
 * One of a user's memberships. `teamAlias` and `archived` come from the team row; they are
 * `null` when the membership mirror points at a team without one (a half-written pair that
 * the next reconciliation repairs).
 */
export interface UserTeamView {
  readonly teamId: string;
  readonly teamAlias: string | null;
  readonly role: MemberRole;
  readonly source: Source;
  readonly addedAt: string;
  readonly archived: boolean | null;
}

export interface TeamPage {
  readonly teams: readonly TeamSummary[];
  /** Pass back as `continuationToken` for the next page; `null` when there are no more teams. */
  readonly nextContinuationToken: string | null;
}

export interface TeamWithMembers {
  readonly team: TeamDetail;
  readonly members: readonly MemberView[];
}

export interface UserWithTeams {
  readonly user: UserView;
  readonly teams: readonly UserTeamView[];
}

export const DEFAULT_TEAM_PAGE_SIZE = 100;
/** Table Storage returns at most 1000 entities per request. */
export const MAX_TEAM_PAGE_SIZE = 1000;
/**
 * A page that filters out archived teams may need several requests to fill; past this many it
 * is returned short, with a continuation token (a short page is not the last page).
 */
const MAX_REQUESTS_PER_PAGE = 10;
const MAX_CONTINUATION_TOKEN_LENGTH = 8192;

function orNull<T>(value: T | undefined): T | null {
  return value ?? null;
}

export function teamSummary(team: Team): TeamSummary {
  return {
    teamId: team.teamId,
    teamAlias: team.teamAlias,
    source: team.source,
    entraGroupId: orNull(team.entraGroupId),
    entraDisplayName: orNull(team.entraDisplayName),
    archived: team.archived,
    maxBudget: orNull(team.maxBudget),
    budgetDuration: orNull(team.budgetDuration),
    models: team.models,
    tpmLimit: orNull(team.tpmLimit),
    rpmLimit: orNull(team.rpmLimit),
    createdAt: team.createdAt,
    createdBy: orNull(team.createdBy),
  };
}

export function teamDetail(team: Team): TeamDetail {
  return {
    ...teamSummary(team),
    teamMemberPermissions: team.teamMemberPermissions,
    archivedAt: orNull(team.archivedAt),
    archivedReason: orNull(team.archivedReason),
  };
}

export function memberView(member: TeamMember): MemberView {
  return {
    userId: member.userId,
    role: member.role,
    source: member.source,
    addedAt: member.addedAt,
    userEmail: orNull(member.userEmail),
  };
}

export function userView(user: User): UserView {
  return {
    userId: user.userId,
    userEmail: user.userEmail,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    userRole: user.userRole,
    maxBudget: orNull(user.maxBudget),
    budgetDuration: orNull(user.budgetDuration),
    models: user.models,
    tpmLimit: orNull(user.tpmLimit),
    rpmLimit: orNull(user.rpmLimit),
    source: user.source,
    accountEnabled: user.accountEnabled,
    deletedInEntra: user.deletedInEntra,
    createdAt: user.createdAt,
    lastSignInAt: orNull(user.lastSignInAt),
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A zod schema for an id used as a PartitionKey: what `assertValidKey` accepts. Entra object
 * ids are stored lower-case, so a GUID is looked up lower-case however it was typed.
 */
export function storageKey(what: string) {
  return z
    .string()
    .superRefine((value, context) => {
      try {
        assertValidKey(value, what);
      } catch (error) {
        context.addIssue({ code: 'custom', message: describeError(error) });
      }
    })
    .transform((value) => (GUID.test(value) ? value.toLowerCase() : value));
}

// --- continuation tokens --------------------------------------------------------------------
//
// @azure/data-tables hands out `base64(JSON {nextPartitionKey, nextRowKey})` in standard base64,
// whose `+ / =` do not survive a query string unencoded. The API token is the same JSON in
// base64url. Coming back, the JSON is checked (a token this API did not issue is a 400, not a
// 500) and re-encoded for the SDK. The next keys are opaque ASCII in Azure (`1!8!...`) and in
// Azurite (base64 of the key); non-ASCII characters are escaped all the same, because the SDK
// reads the token's bytes as Latin-1 and would garble UTF-8.

const sdkContinuation = z.object({
  nextPartitionKey: z.string().min(1),
  nextRowKey: z.string().min(1).optional(),
});

function invalidToken(): SyncServiceError {
  return new SyncServiceError(
    'request_invalid',
    'Invalid query: continuationToken is not a token this API returned (pass nextContinuationToken unchanged).',
  );
}

/** The API's URL-safe token for the SDK's continuation token. */
export function toApiContinuationToken(sdkToken: string): string {
  return Buffer.from(sdkToken, 'base64').toString('base64url');
}

/** The SDK's continuation token for an API token; `request_invalid` for anything else. */
export function fromApiContinuationToken(apiToken: string): string {
  if (apiToken.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(apiToken)) {
    throw invalidToken();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(apiToken, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  const position = sdkContinuation.safeParse(parsed);
  if (!position.success) throw invalidToken();
  const json = JSON.stringify(
    position.data.nextRowKey === undefined
      ? { nextPartitionKey: position.data.nextPartitionKey }
      : { nextPartitionKey: position.data.nextPartitionKey, nextRowKey: position.data.nextRowKey },
  ).replace(/[\u0080-\uffff]/g, (character) => {
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return Buffer.from(json, 'ascii').toString('base64');
}

// --- reads ----------------------------------------------------------------------------------

export interface ListTeamsOptions {
  /** 1..1000; default 100. */
  readonly limit?: number;
  /** A `nextContinuationToken` of a previous page. */
  readonly continuationToken?: string | undefined;
  readonly includeArchived?: boolean;
}

/**
 * One page of teams, in team id order. Only team rows are read (no member rows); archived
 * teams are left out unless asked for. Archived is filtered here rather than in the query
 * because a missing or string-typed `archived` (an operator's edit) must count as the codec
 * reads it, and Table Storage drops entities that lack a filtered property. A page holds at
 * most `limit` teams and may hold fewer even when more follow: the token decides.
 */
export async function listTeams(
  repository: Repository,
  options: ListTeamsOptions = {},
): Promise<TeamPage> {
  const limit = options.limit ?? DEFAULT_TEAM_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TEAM_PAGE_SIZE) {
    throw new SyncServiceError(
      'request_invalid',
      `limit must be an integer from 1 to ${MAX_TEAM_PAGE_SIZE}`,
    );
  }
  const includeArchived = options.includeArchived ?? false;
  let token =
    options.continuationToken === undefined
      ? undefined
      : fromApiContinuationToken(options.continuationToken);
  const teams: TeamSummary[] = [];
  let requests = 0;
  do {
    const page = await repository.teamRowPage({
      pageSize: limit - teams.length,
      continuationToken: token,
    });
    requests += 1;
    for (const team of page.teams) {
      if (includeArchived || !team.archived) teams.push(teamSummary(team));
    }
    token = page.continuationToken;
  } while (token !== undefined && teams.length < limit && requests < MAX_REQUESTS_PER_PAGE);
  return {
    teams,
    nextContinuationToken: token === undefined ? null : toApiContinuationToken(token),
  };
}

/** A team and all its members; `not_found` when the partition has no team row. */
export async function readTeamWithMembers(
  repository: Repository,
  teamId: string,
): Promise<TeamWithMembers> {
  const record = await repository.readTeam(teamId);
  if (record.team === undefined) {
    throw new SyncServiceError('not_found', `No team with id "${teamId}".`);
  }
  return {
    team: teamDetail(record.team),
    members: [...record.members.values()].map(memberView),
  };
}

/**
 * A user and their teams (from the user's membership mirrors, each joined with its team row for
 * the alias and archived flag; member lists are not read). `not_found` without a user row.
 */
export async function readUserWithTeams(
  repository: Repository,
  userId: string,
): Promise<UserWithTeams> {
  const record = await repository.readUser(userId);
  if (record.user === undefined) {
    throw new SyncServiceError('not_found', `No user with id "${userId}".`);
  }
  const links = [...record.teams.values()];
  const rows = await repository.teamRows(links.map((link) => link.teamId));
  const teams = links.map((link): UserTeamView => {
    const team = rows.get(link.teamId);
    return {
      teamId: link.teamId,
      teamAlias: team?.teamAlias ?? null,
      role: link.role,
      source: link.source,
      addedAt: link.addedAt,
      archived: team?.archived ?? null,
    };
  });
  return { user: userView(record.user), teams };
}
