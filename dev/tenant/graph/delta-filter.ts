/** `$filter` on `groups/delta`: only `id eq '...'` clauses joined by `or`, at most 50 of them. */
import { BadQuery } from './responses.js';

export const MAX_DELTA_FILTER_IDS = 50;

const CLAUSE = /^id\s+eq\s+'([^']+)'$/i;

export function parseDeltaFilter(filter: string | null): string[] | undefined {
  if (filter === null) return undefined;
  const clauses = filter.trim().split(/\s+or\s+/i);
  const ids: string[] = [];
  for (const clause of clauses) {
    const m = CLAUSE.exec(clause.trim().replace(/^\((.*)\)$/, '$1'));
    if (!m?.[1]) {
      throw new BadQuery(
        'Request_UnsupportedQuery',
        `Unsupported query: groups/delta filters only by id ("id eq '<id>' or id eq '<id>'"), got '${filter}'.`,
      );
    }
    ids.push(m[1].toLowerCase());
  }
  if (ids.length > MAX_DELTA_FILTER_IDS) {
    throw new BadQuery(
      'Request_UnsupportedQuery',
      `Too many ids in the filter clause: ${ids.length}. At most ${MAX_DELTA_FILTER_IDS} are allowed.`,
    );
  }
  return [...new Set(ids)];
}
