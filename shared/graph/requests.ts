/**
 * Sending requests to Graph, alone or packed into `$batch`, and retrying the ones that come back
 * throttled or unavailable — including each sub-request of a `$batch`, which the SDK's
 * RetryHandler never looks inside.
 *
 * The runner works in rounds: it sends everything pending (at most a few batches in flight),
 * collects what must be retried and the next pages the answers pointed to, waits once for the
 * longest `Retry-After` (or back-off) among the retries, and goes again. Once anything in a round
 * is throttled it stops starting new batches in that round: Graph throttles the app as a whole,
 * so hammering it with the rest would only earn more 429s.
 */
import {
  GraphError,
  ResponseType,
  type Client,
  type GraphRequest as GraphRequestBuilder,
} from '@microsoft/microsoft-graph-client';
import { SyncServiceError } from '../errors.js';
import {
  MAX_ATTEMPTS,
  RETRYABLE_STATUSES,
  RetryBudget,
  backoffMs,
  parseRetryAfter,
} from './retry.js';

/** Graph's limit on the requests of one `$batch`. */
export const MAX_BATCH_SIZE = 20;
/** Batches (or single requests) in flight at once. */
export const MAX_REQUESTS_IN_FLIGHT = 4;
/** How long one request (its answer read whole) may take before it counts as lost. */
export const REQUEST_TIMEOUT_MS = 60_000;

export interface GraphRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version (`/users/{id}?$select=id`), or an absolute `@odata.nextLink`. */
  readonly url: string;
  readonly body?: unknown;
}

export interface GraphResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: unknown;
}

/** What came back for one request: an answer, or nothing usable (network, timeout, garbled). */
type Outcome =
  | { readonly kind: 'answered'; readonly response: GraphResponse }
  | { readonly kind: 'lost'; readonly detail: string };

/** A request and what to do with its answer. */
export interface GraphJob {
  readonly request: GraphRequest;
  /**
   * Graph's final answer: a success, or an error that waiting will not fix (404, 403, ...).
   * Returns the follow-up request (the next page), if there is one.
   */
  readonly onAnswer: (response: GraphResponse) => GraphJob | undefined;
  /** Graph stayed throttled, unavailable or unreachable past the attempts or the wait budget. */
  readonly onGiveUp: (error: SyncServiceError) => void;
}

export type SendMode = 'single' | 'batch';

/** The error body Graph sends: `{ error: { code, message } }`. */
export function graphErrorSummary(response: GraphResponse): string {
  const error = isRecord(response.body) ? response.body.error : undefined;
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
  const message = isRecord(error) && typeof error.message === 'string' ? error.message : undefined;
  return [String(response.status), code, message].filter((part) => part !== undefined).join(' ');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request's resource path without host, version or query (queries hold page tokens). */
export function describeRequest(request: GraphRequest): string {
  const path = request.url.replace(/^https:\/\/[^/]+\/v1\.0/, '').replace(/\?.*$/, '');
  return `${request.method} ${path}`;
}

function headerMap(entries: Iterable<[string, unknown]>): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of entries) {
    if (typeof value === 'string') headers.set(name.toLowerCase(), value);
  }
  return headers;
}

export class GraphTransport {
  private readonly versionRoot: string;

  constructor(
    private readonly client: Client,
    graphEndpoint: string,
    private readonly timeoutMs: number = REQUEST_TIMEOUT_MS,
  ) {
    this.versionRoot = `${graphEndpoint}/v1.0`;
  }

  /** One HTTP request. Throws only when no token could be had (a coded error). */
  async send(request: GraphRequest): Promise<Outcome> {
    let raw: Response;
    try {
      const api = this.client
        .api(request.url)
        .responseType(ResponseType.RAW)
        .option('signal', AbortSignal.timeout(this.timeoutMs));
      raw = (await sendWith(api, request)) as Response;
    } catch (error) {
      const noToken = tokenFailure(error);
      if (noToken !== undefined) throw noToken;
      return { kind: 'lost', detail: describeCause(error) };
    }
    return this.read(raw);
  }

  /** Up to 20 requests in one `$batch`; one outcome per request, in order. */
  async sendBatch(requests: readonly GraphRequest[]): Promise<Outcome[]> {
    const payload = {
      requests: requests.map((request, index) => ({
        id: String(index + 1),
        method: request.method,
        url: this.relativeToVersion(request.url),
        ...(request.body === undefined
          ? {}
          : { body: request.body, headers: { 'Content-Type': 'application/json' } }),
      })),
    };
    const envelope = await this.send({ method: 'POST', url: '/$batch', body: payload });
    if (envelope.kind === 'lost') return requests.map(() => envelope);
    const { response } = envelope;
    // A throttled or failed `$batch` as a whole is that answer for each request in it.
    if (response.status !== 200) return requests.map(() => envelope);
    const answers = isRecord(response.body) ? response.body.responses : undefined;
    if (!Array.isArray(answers)) {
      return requests.map(() => ({ kind: 'lost', detail: 'the $batch answer had no responses' }));
    }
    const byId = new Map<string, GraphResponse>();
    for (const answer of answers as unknown[]) {
      if (!isRecord(answer) || typeof answer.id !== 'string' || typeof answer.status !== 'number')
        continue;
      byId.set(answer.id, {
        status: answer.status,
        headers: headerMap(Object.entries(isRecord(answer.headers) ? answer.headers : {})),
        body: answer.body,
      });
    }
    return requests.map((_, index): Outcome => {
      const answer = byId.get(String(index + 1));
      return answer === undefined
        ? { kind: 'lost', detail: `the $batch answer had no response for request ${index + 1}` }
        : { kind: 'answered', response: answer };
    });
  }

  private async read(raw: Response): Promise<Outcome> {
    let text: string;
    try {
      text = await raw.text();
    } catch (error) {
      return { kind: 'lost', detail: `the answer broke off (${describeCause(error)})` };
    }
    let body: unknown = text;
    const isJson = (raw.headers.get('content-type') ?? '').includes('json');
    if (isJson && text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        if (raw.ok) return { kind: 'lost', detail: `the ${raw.status} answer was not valid JSON` };
      }
    }
    return {
      kind: 'answered',
      response: { status: raw.status, headers: headerMap(raw.headers.entries()), body },
    };
  }

  /** `$batch` takes urls relative to the version; next links are absolute. */
  private relativeToVersion(url: string): string {
    if (url.startsWith(`${this.versionRoot}/`)) return url.slice(this.versionRoot.length);
    if (url.startsWith('/')) return url;
    throw new Error(`not a Graph v1.0 url: ${url}`);
  }
}

function sendWith(api: GraphRequestBuilder, request: GraphRequest): Promise<unknown> {
  switch (request.method) {
    case 'GET':
      return api.get();
    case 'POST':
      return api.post(request.body);
    case 'PATCH':
      return api.patch(request.body);
    case 'DELETE':
      return api.delete();
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}

/** A coded error when the request failed for want of a token (see `GraphTokenError`). */
function tokenFailure(error: unknown): SyncServiceError | undefined {
  if (!(error instanceof GraphError)) return undefined;
  if (error.code === 'GraphTokenRefused')
    return new SyncServiceError('graph_denied', error.message, { cause: error });
  if (error.code === 'GraphTokenUnavailable')
    return new SyncServiceError('graph_unavailable', error.message, { cause: error });
  return undefined;
}

/** Why a request has to be tried again. */
interface Trouble {
  /** Graph's status, or undefined when nothing usable came back. */
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly detail: string;
}

interface Pending {
  readonly job: GraphJob;
  /** Attempts made so far. */
  readonly attempts: number;
  readonly trouble?: Trouble;
}

function troubleOf(outcome: Outcome, now: Date): Trouble | undefined {
  if (outcome.kind === 'lost') {
    return { status: undefined, retryAfterMs: undefined, detail: `no answer: ${outcome.detail}` };
  }
  const { response } = outcome;
  if (!RETRYABLE_STATUSES.has(response.status)) return undefined;
  return {
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now),
    detail: graphErrorSummary(response),
  };
}

function giveUpError(request: GraphRequest, trouble: Trouble, why: string): SyncServiceError {
  const code = trouble.status === 429 ? 'graph_throttled' : 'graph_unavailable';
  const what = trouble.status === 429 ? 'kept throttling' : 'kept failing';
  return new SyncServiceError(
    code,
    `Microsoft Graph ${what} ${describeRequest(request)} (last: ${trouble.detail}); ${why}`,
  );
}

export interface RunnerOptions {
  /** Total waiting per `run` before giving up. */
  readonly maxRetryWaitMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly clock: () => Date;
  readonly random?: () => number;
}

export class GraphRequestRunner {
  constructor(
    private readonly transport: GraphTransport,
    private readonly options: RunnerOptions,
  ) {}

  newBudget(): RetryBudget {
    return new RetryBudget(this.options.maxRetryWaitMs);
  }

  /**
   * Runs the jobs and every follow-up they return until each has had its final answer or has
   * been given up on. Rejects only when no token could be had.
   */
  async run(
    jobs: readonly GraphJob[],
    mode: SendMode,
    budget: RetryBudget = this.newBudget(),
  ): Promise<void> {
    let pending: readonly Pending[] = jobs.map((job) => ({ job, attempts: 0 }));
    while (pending.length > 0) {
      const round = await this.round(pending, mode);
      pending = [
        ...round.failed.filter((entry) => entry.attempts < MAX_ATTEMPTS),
        ...round.notSent,
        ...round.next,
      ];
      for (const entry of round.failed) {
        if (entry.attempts >= MAX_ATTEMPTS && entry.trouble !== undefined) {
          entry.job.onGiveUp(
            giveUpError(
              entry.job.request,
              entry.trouble,
              `gave up after ${entry.attempts} attempts`,
            ),
          );
        }
      }
      const troubles = round.failed.flatMap((entry) =>
        entry.trouble === undefined ? [] : [{ entry, trouble: entry.trouble }],
      );
      if (troubles.length === 0 || pending.length === 0) continue;

      const waitMs = Math.max(
        ...troubles.map(
          ({ entry, trouble }) =>
            trouble.retryAfterMs ?? backoffMs(entry.attempts, this.options.random),
        ),
      );
      if (!budget.trySpend(waitMs)) {
        const worst =
          troubles.find(({ trouble }) => trouble.status === 429)?.trouble ?? troubles[0]?.trouble;
        const why = `waiting ${seconds(waitMs)} s more would exceed the retry budget of ${seconds(budget.limitMs)} s`;
        for (const entry of pending) {
          const trouble = entry.trouble ?? worst;
          if (trouble !== undefined)
            entry.job.onGiveUp(giveUpError(entry.job.request, trouble, why));
        }
        return;
      }
      await this.options.sleep(waitMs);
    }
  }

  private async round(
    pending: readonly Pending[],
    mode: SendMode,
  ): Promise<{ failed: Pending[]; notSent: Pending[]; next: Pending[] }> {
    const size = mode === 'batch' ? MAX_BATCH_SIZE : 1;
    const chunks: (readonly Pending[])[] = [];
    for (let start = 0; start < pending.length; start += size) {
      chunks.push(pending.slice(start, start + size));
    }
    const failed: Pending[] = [];
    const notSent: Pending[] = [];
    const next: Pending[] = [];
    let troubled = false;
    let fatal: { error: unknown } | undefined;
    let cursor = 0;

    const settle = (chunk: readonly Pending[], outcomes: readonly Outcome[]): void => {
      chunk.forEach((entry, index) => {
        const outcome: Outcome = outcomes[index] ?? { kind: 'lost', detail: 'no outcome' };
        const trouble = troubleOf(outcome, this.options.clock());
        if (trouble !== undefined) {
          troubled = true;
          failed.push({ job: entry.job, attempts: entry.attempts + 1, trouble });
        } else if (outcome.kind === 'answered') {
          const followUp = entry.job.onAnswer(outcome.response);
          if (followUp !== undefined) next.push({ job: followUp, attempts: 0 });
        }
      });
    };

    const worker = async (): Promise<void> => {
      for (let chunk = chunks[cursor++]; chunk !== undefined; chunk = chunks[cursor++]) {
        if (troubled || fatal !== undefined) {
          notSent.push(...chunk);
          continue;
        }
        try {
          const requests = chunk.map((entry) => entry.job.request);
          const [only] = requests;
          const outcomes =
            mode === 'batch' || only === undefined
              ? await this.transport.sendBatch(requests)
              : [await this.transport.send(only)];
          settle(chunk, outcomes);
        } catch (error) {
          fatal ??= { error };
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(MAX_REQUESTS_IN_FLIGHT, chunks.length) }, worker),
    );
    if (fatal !== undefined) throw fatal.error;
    return { failed, notSent, next };
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1);
}
