/**
 * Reading a Graph collection to its end: each page's items are checked, and the whole
 * `@odata.nextLink` is followed as Graph gave it. A listing ends complete, or failed with the
 * reason; never silently short, and never endless: a next link already followed, or more
 * pages than any real listing has, ends it as malformed.
 */
import type { SyncServiceError } from '../errors.js';
import type { AppRoleDefinition, EntraUser } from './directory.js';
import { isRecord, type GraphJob, type GraphRequest, type GraphResponse } from './requests.js';

/** Reads one item of a page; undefined when it does not have the expected shape. */
export type ItemReader<T> = (value: unknown) => T | undefined;

export type ListingFailure =
  /** Graph answered an error that waiting does not fix (404, 403, 400, ...). */
  | { readonly kind: 'status'; readonly page: number; readonly response: GraphResponse }
  /** A page did not have the shape of a collection of the expected items. */
  | { readonly kind: 'malformed'; readonly page: number; readonly detail: string }
  /** Throttled or unavailable past the retries. */
  | { readonly kind: 'gave-up'; readonly page: number; readonly error: SyncServiceError };

export type ListingResult<T> =
  | { readonly complete: true; readonly items: readonly T[]; readonly pages: number }
  | { readonly complete: false; readonly failure: ListingFailure };

/** 10 million items at Graph's largest page size: far past any real directory listing. */
export const MAX_PAGES_PER_LISTING = 10_000;

export class Listing<T> {
  private readonly items: T[] = [];
  private readonly followed = new Set<string>();
  private pages = 0;
  private settled: ListingResult<T> | undefined;

  constructor(
    private readonly first: GraphRequest,
    private readonly readItem: ItemReader<T>,
    /** `${graphEndpoint}/v1.0/`: next links must stay on it. */
    private readonly versionRoot: string,
    private readonly onSettled: (result: ListingResult<T>) => void = () => undefined,
    private readonly maxPages = MAX_PAGES_PER_LISTING,
  ) {}

  get result(): ListingResult<T> | undefined {
    return this.settled;
  }

  firstJob(): GraphJob {
    return this.job(this.first);
  }

  private job(request: GraphRequest): GraphJob {
    const page = this.pages + 1;
    return {
      request,
      onAnswer: (response) => {
        if (response.status !== 200) {
          this.settle({ complete: false, failure: { kind: 'status', page, response } });
          return undefined;
        }
        const read = this.readPage(response.body);
        if (typeof read === 'string') {
          this.settle({ complete: false, failure: { kind: 'malformed', page, detail: read } });
          return undefined;
        }
        this.pages = page;
        this.items.push(...read.items);
        if (read.nextLink === undefined) {
          this.settle({ complete: true, items: this.items, pages: this.pages });
          return undefined;
        }
        return this.job({ method: 'GET', url: read.nextLink });
      },
      onGiveUp: (error) => {
        this.settle({ complete: false, failure: { kind: 'gave-up', page, error } });
      },
    };
  }

  /** The page's items and next link, or what is wrong with it. */
  private readPage(body: unknown): { items: T[]; nextLink: string | undefined } | string {
    if (!isRecord(body) || !Array.isArray(body.value)) return 'the page has no value array';
    const items: T[] = [];
    for (const value of body.value as unknown[]) {
      const item = this.readItem(value);
      if (item === undefined) return `unexpected item ${JSON.stringify(value).slice(0, 200)}`;
      items.push(item);
    }
    const nextLink = body['@odata.nextLink'];
    if (nextLink === undefined || nextLink === null) return { items, nextLink: undefined };
    if (typeof nextLink !== 'string' || !nextLink.startsWith(this.versionRoot)) {
      return 'the next link is not a Graph v1.0 link on the configured endpoint';
    }
    if (this.followed.has(nextLink) || nextLink === this.firstUrl()) {
      return 'the next link points to a page already read (the listing loops)';
    }
    if (this.pages + 1 >= this.maxPages) {
      return `the listing goes on past ${this.maxPages} pages`;
    }
    this.followed.add(nextLink);
    return { items, nextLink };
  }

  /** The first request's url as a next link would give it (absolute). */
  private firstUrl(): string {
    const { url } = this.first;
    return url.startsWith('/') ? `${this.versionRoot}${url.slice(1)}` : url;
  }

  private settle(result: ListingResult<T>): void {
    this.settled = result;
    this.onSettled(result);
  }
}

export const readUser: ItemReader<EntraUser> = (value) => {
  if (!isRecord(value)) return undefined;
  const { id, displayName, userPrincipalName, mail, accountEnabled } = value;
  if (typeof id !== 'string' || typeof userPrincipalName !== 'string') return undefined;
  if (typeof accountEnabled !== 'boolean') return undefined;
  if (mail !== null && mail !== undefined && typeof mail !== 'string') return undefined;
  if (displayName !== null && displayName !== undefined && typeof displayName !== 'string')
    return undefined;
  return {
    id,
    // Graph allows a user without a display name (rare, but seen on synced guests).
    displayName: displayName ?? '',
    userPrincipalName,
    mail: mail ?? null,
    accountEnabled,
  };
};

export const readId: ItemReader<string> = (value) =>
  isRecord(value) && typeof value.id === 'string' ? value.id : undefined;

export const readString: ItemReader<string> = (value) =>
  typeof value === 'string' ? value : undefined;

export interface Assignment {
  readonly principalId: string;
  readonly principalType: string;
  readonly principalDisplayName: string;
  readonly appRoleId: string;
}

function isOptionalString(value: unknown): value is string | null | undefined {
  return value === null || value === undefined || typeof value === 'string';
}

export const readAssignment: ItemReader<Assignment> = (value) => {
  if (!isRecord(value)) return undefined;
  const { principalId, principalType, principalDisplayName, appRoleId } = value;
  if (typeof principalId !== 'string' || typeof principalType !== 'string') return undefined;
  if (typeof appRoleId !== 'string' || !isOptionalString(principalDisplayName)) return undefined;
  return {
    principalId,
    principalType,
    principalDisplayName: principalDisplayName ?? '',
    appRoleId: appRoleId.toLowerCase(),
  };
};

export const readAppRole: ItemReader<AppRoleDefinition> = (value) => {
  if (!isRecord(value)) return undefined;
  const { id, value: roleValue, displayName, allowedMemberTypes, isEnabled } = value;
  if (typeof id !== 'string' || typeof isEnabled !== 'boolean') return undefined;
  if (!isOptionalString(roleValue) || !isOptionalString(displayName)) return undefined;
  if (!Array.isArray(allowedMemberTypes)) return undefined;
  const memberTypes = allowedMemberTypes as unknown[];
  if (!memberTypes.every((type) => typeof type === 'string')) return undefined;
  return {
    id: id.toLowerCase(),
    value: roleValue ?? null,
    displayName: displayName ?? '',
    allowedMemberTypes: memberTypes,
    isEnabled,
  };
};
