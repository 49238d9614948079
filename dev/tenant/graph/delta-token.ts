/**
 * The state a `groups/delta` round carries in its links, as Graph encodes the query in its
 * tokens: a `$skiptoken` for the next page of a round, a `$deltatoken` for the next round.
 */
import { BadQuery } from './responses.js';

export interface DeltaQuery {
  /** `$select` as given (may include `members`). */
  select: string | undefined;
  /** The ids of `$filter=id eq ...`, or undefined for every group. */
  ids: string[] | undefined;
}

export interface DeltaState extends DeltaQuery {
  /** Page tokens: `full` lists every group; otherwise the changes in (from, to]. */
  full: boolean;
  from: number;
  to: number;
  /** The `from` of the round that issued a delta token (a replayed round starts there again). */
  previousFrom: number;
  /** Page tokens: the last group id served (pages go in id order). */
  after: string | undefined;
  pageSize: number;
  /** Simulated time of issue, and the epoch: a token from an earlier epoch has expired. */
  issuedAt: number;
  epoch: number;
}

const PREFIX = { page: 'RFNwdAIA', delta: 'RFN0cmVhbQ' } as const;

export function encodeDeltaState(kind: 'page' | 'delta', state: DeltaState): string {
  return PREFIX[kind] + Buffer.from(JSON.stringify(state)).toString('base64url');
}

function isDeltaState(v: unknown): v is DeltaState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const num = (k: string): boolean => typeof s[k] === 'number' && Number.isFinite(s[k]);
  const optString = (k: string): boolean => s[k] === undefined || typeof s[k] === 'string';
  return (
    typeof s.full === 'boolean' &&
    ['from', 'to', 'previousFrom', 'pageSize', 'issuedAt', 'epoch'].every(num) &&
    optString('select') &&
    optString('after') &&
    (s.ids === undefined || (Array.isArray(s.ids) && s.ids.every((i) => typeof i === 'string')))
  );
}

export function decodeDeltaState(kind: 'page' | 'delta', token: string): DeltaState {
  const bad =
    kind === 'page'
      ? new BadQuery(
          'Directory_ExpiredPageToken',
          'The specified page token value has expired and can no longer be included in your request.',
        )
      : new BadQuery('BadRequest', 'The delta token is not valid.');
  if (!token.startsWith(PREFIX[kind])) throw bad;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token.slice(PREFIX[kind].length), 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!isDeltaState(value)) throw bad;
  return value;
}
