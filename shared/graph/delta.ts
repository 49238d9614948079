/**
 * `groups/delta` with members, one filtered cursor at a time: follows every `@odata.nextLink`
 * to the `@odata.deltaLink` and reports each group once, with the groups that joined or left it
 * as direct members. An expired or refused link (400 `syncStateNotFound`, 410 Gone with
 * `Location`, or `resyncRequired`) is an answer, not an error: the caller falls back to a full
 * pass. Calls and costs: docs/graph.md.
 */
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import { createGraphClient } from './client.js';
import { MAX_PAGES_PER_LISTING } from './listing.js';
import {
  describeRequest,
  graphErrorSummary,
  GraphRequestRunner,
  GraphTransport,
  isRecord,
  type GraphJob,
  type GraphRequest,
  type GraphResponse,
} from './requests.js';

/** What one round says about one group. */
export interface GroupDelta {
  readonly groupId: string;
  /** The group itself was deleted (soft or permanent). */
  readonly removed: boolean;
  /** Group members that joined (or, in a first round, every group member). */
  readonly memberGroupsAdded: readonly string[];
  readonly memberGroupsRemoved: readonly string[];
}

export type DeltaRoundResult =
  | {
      readonly kind: 'changes';
      readonly groups: readonly GroupDelta[];
      readonly deltaLink: string;
      readonly pages: number;
    }
  | { readonly kind: 'expired'; readonly reason: string };

export interface GroupDeltaFeed {
  /** A first round over `groupIds` (no link), or the next round from `deltaLink`. */
  round(
    start: { readonly deltaLink: string } | { readonly groupIds: readonly string[] },
  ): Promise<DeltaRoundResult>;
  /** Graph HTTP requests sent so far (one per page). */
  readonly requestCount: number;
}

const EXPIRED_CODES = new Set(['syncstatenotfound', 'resyncrequired']);

function errorCode(response: GraphResponse): string {
  const error = isRecord(response.body) ? response.body.error : undefined;
  const code = isRecord(error) ? error.code : undefined;
  return typeof code === 'string' ? code.toLowerCase() : '';
}

/** Graph's two ways of saying "this link is no good any more: start again". */
export function isExpiredLink(response: GraphResponse): boolean {
  if (response.status === 410) return true;
  return (
    (response.status === 400 || response.status === 410) && EXPIRED_CODES.has(errorCode(response))
  );
}

export function firstRoundUrl(groupIds: readonly string[]): string {
  const filter = groupIds.map((id) => `id eq '${id}'`).join(' or ');
  return `/groups/delta?$select=displayName,members&$filter=${encodeURIComponent(filter)}`;
}

function idsOf(value: unknown): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  if (!Array.isArray(value)) return { added, removed };
  for (const member of value as unknown[]) {
    if (!isRecord(member) || typeof member.id !== 'string') continue;
    if (member['@odata.type'] !== '#microsoft.graph.group') continue;
    (member['@removed'] === undefined ? added : removed).push(member.id.toLowerCase());
  }
  return { added, removed };
}

function readGroup(value: unknown): GroupDelta | undefined {
  if (!isRecord(value) || typeof value.id !== 'string') return undefined;
  const members = idsOf(value['members@delta']);
  return {
    groupId: value.id.toLowerCase(),
    removed: value['@removed'] !== undefined,
    memberGroupsAdded: members.added,
    memberGroupsRemoved: members.removed,
  };
}

/** One round: pages until the deltaLink, or the reason it could not finish. */
class DeltaRoundJob {
  readonly groups = new Map<string, GroupDelta>();
  result: DeltaRoundResult | undefined;
  error: SyncServiceError | undefined;
  private pages = 0;
  private readonly followed = new Set<string>();

  constructor(private readonly versionRoot: string) {}

  job(request: GraphRequest): GraphJob {
    return {
      request,
      onAnswer: (response) => this.answer(request, response),
      onGiveUp: (error) => {
        this.error = error;
      },
    };
  }

  private answer(request: GraphRequest, response: GraphResponse): GraphJob | undefined {
    if (isExpiredLink(response)) {
      this.result = { kind: 'expired', reason: graphErrorSummary(response) };
      return undefined;
    }
    if (response.status !== 200) {
      const denied = response.status === 401 || response.status === 403;
      this.error = new SyncServiceError(
        denied ? 'graph_denied' : 'graph_unavailable',
        `Microsoft Graph answered ${graphErrorSummary(response)} to ${describeRequest(request)}`,
      );
      return undefined;
    }
    const body = response.body;
    if (!isRecord(body) || !Array.isArray(body.value)) return this.malformed('no value array');
    for (const value of body.value as unknown[]) {
      const group = readGroup(value);
      if (group === undefined) return this.malformed('an item without an id');
      this.merge(group);
    }
    this.pages += 1;
    const next = body['@odata.nextLink'];
    const deltaLink = body['@odata.deltaLink'];
    if (typeof next === 'string' && next.startsWith(this.versionRoot)) {
      if (this.pages >= MAX_PAGES_PER_LISTING) return this.malformed('too many pages');
      // A link already followed would page the same changes forever (up to the page cap).
      if (this.followed.has(next) || next === request.url) {
        return this.malformed('a next link that points to a page already read (the round loops)');
      }
      this.followed.add(next);
      return this.job({ method: 'GET', url: next });
    }
    if (typeof deltaLink === 'string' && deltaLink.startsWith(this.versionRoot)) {
      this.result = {
        kind: 'changes',
        groups: [...this.groups.values()],
        deltaLink,
        pages: this.pages,
      };
      return undefined;
    }
    return this.malformed('neither a next link nor a delta link on the configured endpoint');
  }

  /** A group can show on two pages when it changed while the round was paged. */
  private merge(group: GroupDelta): void {
    const seen = this.groups.get(group.groupId);
    this.groups.set(
      group.groupId,
      seen === undefined
        ? group
        : {
            groupId: group.groupId,
            removed: group.removed,
            memberGroupsAdded: [...seen.memberGroupsAdded, ...group.memberGroupsAdded],
            memberGroupsRemoved: [...seen.memberGroupsRemoved, ...group.memberGroupsRemoved],
          },
    );
  }

  private malformed(detail: string): GraphJob | undefined {
    this.error = new SyncServiceError(
      'graph_incomplete',
      `A groups/delta page could not be read: ${detail}`,
    );
    return undefined;
  }
}

export interface GroupDeltaFeedOptions {
  readonly maxRetryWaitSeconds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => Date;
  readonly fetch?: typeof fetch;
  readonly requestTimeoutMs?: number;
}

export function createGroupDeltaFeed(
  settings: Settings,
  options: GroupDeltaFeedOptions = {},
): GroupDeltaFeed {
  const graph = createGraphClient(settings.entra, undefined, options.fetch);
  const runner = new GraphRequestRunner(
    new GraphTransport(graph.client, settings.entra.graphEndpoint, options.requestTimeoutMs),
    {
      maxRetryWaitMs: (options.maxRetryWaitSeconds ?? 60) * 1000,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      clock: options.clock ?? (() => new Date()),
    },
  );
  const versionRoot = `${settings.entra.graphEndpoint}/v1.0/`;
  return {
    get requestCount() {
      return graph.requestCount();
    },
    async round(start) {
      const round = new DeltaRoundJob(versionRoot);
      const url = 'deltaLink' in start ? start.deltaLink : firstRoundUrl(start.groupIds);
      await runner.run([round.job({ method: 'GET', url })], 'single');
      if (round.error !== undefined) throw round.error;
      if (round.result === undefined) {
        throw new SyncServiceError('graph_incomplete', 'A groups/delta round did not finish');
      }
      return round.result;
    },
  };
}
