/**
 * What each console page shows, read through the repository. Pages of teams and users use the
 * read API's continuation tokens, so a large tenant is read a page at a time.
 */
import { mapPooled } from '../store/pool.js';
import type { ReleaseRecord, Repository } from '../store/index.js';
import type { MemberRole, Source, User } from '../sync/model.js';
import type { RunRecord } from '../sync/run-records.js';
import {
  fromApiContinuationToken,
  listTeams,
  readTeamWithMembers,
  toApiContinuationToken,
  type TeamDetail,
  type TeamSummary,
} from '../views.js';

export const CONSOLE_PAGE_SIZE = 50;
const MEMBER_COUNT_CONCURRENCY = 8;
/** A run's changes shown at most; the JSON status route has them all. */
export const MAX_CHANGES_SHOWN = 500;

export interface MyTeam {
  readonly teamId: string;
  readonly teamAlias: string | null;
  readonly maxBudget: number | null;
  readonly budgetDuration: string | null;
  readonly models: readonly string[];
  readonly role: MemberRole;
  readonly source: Source;
  readonly archived: boolean;
}

export async function myTeams(repository: Repository, userId: string): Promise<MyTeam[]> {
  const record = await repository.readUser(userId);
  const links = [...record.teams.values()];
  const rows = await repository.teamRows(links.map((link) => link.teamId));
  return links.map((link) => {
    const team = rows.get(link.teamId);
    return {
      teamId: link.teamId,
      teamAlias: team?.teamAlias ?? null,
      maxBudget: team?.maxBudget ?? null,
      budgetDuration: team?.budgetDuration ?? null,
      models: team?.models ?? [],
      role: link.role,
      source: link.source,
      archived: team?.archived ?? false,
    };
  });
}

export interface TeamListEntry extends TeamSummary {
  readonly memberCount: number;
}

export interface Paged<T> {
  readonly items: readonly T[];
  readonly nextPage: string | null;
}

export async function teamsPage(
  repository: Repository,
  page: string | undefined,
): Promise<Paged<TeamListEntry>> {
  const listed = await listTeams(repository, {
    limit: CONSOLE_PAGE_SIZE,
    continuationToken: page,
    includeArchived: true,
  });
  const items = await mapPooled(listed.teams, MEMBER_COUNT_CONCURRENCY, async (team) => ({
    ...team,
    memberCount: (await repository.readTeam(team.teamId)).members.size,
  }));
  return { items, nextPage: listed.nextContinuationToken };
}

export interface MemberEntry {
  readonly userId: string;
  readonly displayName: string | null;
  readonly userEmail: string | null;
  readonly role: MemberRole;
  readonly source: Source;
  readonly addedAt: string;
}

export async function teamWithMembers(
  repository: Repository,
  teamId: string,
): Promise<{ team: TeamDetail; members: MemberEntry[] }> {
  const { team, members } = await readTeamWithMembers(repository, teamId);
  const users = await repository.userRows(members.map((member) => member.userId));
  return {
    team,
    members: members.map((member) => ({
      ...member,
      displayName: users.get(member.userId)?.displayName ?? null,
    })),
  };
}

export async function usersPage(
  repository: Repository,
  page: string | undefined,
): Promise<Paged<User>> {
  const listed = await repository.userRowPage({
    pageSize: CONSOLE_PAGE_SIZE,
    continuationToken: page === undefined ? undefined : fromApiContinuationToken(page),
  });
  return {
    items: listed.users,
    nextPage:
      listed.continuationToken === undefined
        ? null
        : toApiContinuationToken(listed.continuationToken),
  };
}

export interface ChangeEntry {
  readonly kind: string;
  readonly outcome: string;
  readonly reason: string;
  readonly teamId: string | null;
  readonly teamAlias: string | null;
  readonly userId: string | null;
  readonly userName: string | null;
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export async function runWithChanges(
  repository: Repository,
  runId: string,
): Promise<{ run: RunRecord; changes: ChangeEntry[]; total: number } | undefined> {
  const run = await repository.findRun(runId);
  if (run === undefined) return undefined;
  const audit = await repository.runAudit(runId);
  const shown = audit.slice(0, MAX_CHANGES_SHOWN);
  const teamIds = [...new Set(shown.map((entry) => textOf(entry.teamId)).filter(isText))];
  const userIds = [...new Set(shown.map((entry) => textOf(entry.userId)).filter(isText))];
  const [teams, users] = await Promise.all([
    repository.teamRows(teamIds),
    repository.userRows(userIds),
  ]);
  const changes = shown.map((entry): ChangeEntry => {
    const teamId = textOf(entry.teamId);
    const userId = textOf(entry.userId);
    return {
      kind: textOf(entry.kind) ?? '',
      outcome: textOf(entry.outcome) ?? '',
      reason: textOf(entry.reason) ?? '',
      teamId,
      teamAlias: teamId === null ? null : (teams.get(teamId)?.teamAlias ?? null),
      userId,
      userName: userId === null ? null : (users.get(userId)?.displayName ?? null),
    };
  });
  return { run, changes, total: audit.length };
}

function isText(value: string | null): value is string {
  return value !== null;
}

export interface HeldState {
  /** The latest run, when it held changes: what a release would apply. */
  readonly heldRun: RunRecord | undefined;
  readonly heldRemovals: number;
  readonly teamAliases: ReadonlyMap<string, string>;
  readonly userNames: ReadonlyMap<string, string>;
  readonly releases: readonly ReleaseRecord[];
}

/** The number of held membership removals: how far a release raises the limit. */
export function heldRemovalCount(run: RunRecord): number {
  return run.held.filter((change) => change.kind === 'membership-removed').length;
}

export async function heldState(repository: Repository): Promise<HeldState> {
  const [latest] = await repository.recentRuns(1);
  const heldRun = latest?.outcome === 'held' ? latest : undefined;
  const held = heldRun?.held ?? [];
  const teamIds = [
    ...new Set(held.map((change) => change.teamId).filter((id) => id !== undefined)),
  ];
  const userIds = [
    ...new Set(held.map((change) => change.userId).filter((id) => id !== undefined)),
  ];
  const [teams, users, releases] = await Promise.all([
    repository.teamRows(teamIds),
    repository.userRows(userIds),
    repository.recentReleases(10),
  ]);
  return {
    heldRun,
    heldRemovals: heldRun === undefined ? 0 : heldRemovalCount(heldRun),
    teamAliases: new Map([...teams].map(([id, team]) => [id, team.teamAlias])),
    userNames: new Map([...users].map(([id, user]) => [id, user.displayName])),
    releases,
  };
}
