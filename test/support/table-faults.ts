/**
 * Table Storage faults on the real `@azure/data-tables` client: a pipeline policy (inside the
 * SDK's own retries, so a fault is retried the way a real one would be) that answers chosen
 * requests with 503 or 412, or sends a request to Azurite and then loses its answer (the write
 * happened; the client sees a reset connection). Every other request reaches the real Azurite.
 * `onRequest` lets a test act at the Nth request (restart Azurite in the middle of a pass).
 */
import { TableClient } from '@azure/data-tables';
import {
  createRepository,
  type Repository,
  type TableClientFactory,
} from '../../shared/store/index.js';
import { Tables } from '../../shared/store/tables.js';

export interface TableFaultSpec {
  /** HTTP method to match (any when absent); the SDK sends entity merges as PATCH. */
  readonly method?: string;
  /** Matched against the request URL (table name, `$batch`, entity keys). */
  readonly url: RegExp;
  /**
   * `503`: ServerBusy; `412`: UpdateConditionNotSatisfied (a stale ETag); `lost-answer`: the
   * request reaches Azurite, then the client gets ECONNRESET instead of the answer.
   */
  readonly fault: 503 | 412 | 'lost-answer';
  /** How many matching requests it hits (default 1; Infinity until cleared). */
  readonly times?: number;
}

/** The parts of the pipeline's request and response this policy reads and makes. */
interface PipelineRequestLike {
  readonly method: string;
  readonly url: string;
}
interface PipelineResponseLike {
  readonly request: PipelineRequestLike;
  readonly status: number;
  readonly headers: unknown;
  readonly bodyAsText?: string;
}
type SendRequest = (request: PipelineRequestLike) => Promise<PipelineResponseLike>;

/** The SDK's HttpHeaders interface, made structurally (no transitive package imported). */
function headers(values: Record<string, string>) {
  const map = new Map(Object.entries(values).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    get: (name: string) => map.get(name.toLowerCase()),
    has: (name: string) => map.has(name.toLowerCase()),
    set: (name: string, value: string | number | boolean) => {
      map.set(name.toLowerCase(), String(value));
    },
    delete: (name: string) => {
      map.delete(name.toLowerCase());
    },
    toJSON: () => Object.fromEntries(map),
    [Symbol.iterator]: () => map.entries(),
  };
}

function tableError(request: PipelineRequestLike, status: number, code: string, message: string) {
  return {
    request,
    status,
    headers: headers({
      'content-type': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
      'x-ms-error-code': code,
    }),
    bodyAsText: JSON.stringify({
      'odata.error': { code, message: { lang: 'en-US', value: message } },
    }),
  };
}

export class TableFaults {
  private faults: { spec: TableFaultSpec; remaining: number }[] = [];
  /** Faults that hit, by kind. */
  readonly hits = { 503: 0, 412: 0, 'lost-answer': 0 };
  /** Requests seen (faulted or not), in order: `METHOD url`. */
  readonly requests: string[] = [];
  /** Called before each request is sent or faulted. */
  onRequest: ((request: PipelineRequestLike, index: number) => void) | undefined;

  inject(spec: TableFaultSpec): void {
    this.faults.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
    this.onRequest = undefined;
  }

  private take(request: PipelineRequestLike): TableFaultSpec | undefined {
    const found = this.faults.find(
      ({ spec }) =>
        (spec.method === undefined || spec.method === request.method) && spec.url.test(request.url),
    );
    if (found === undefined) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) this.faults = this.faults.filter((entry) => entry !== found);
    return found.spec;
  }

  readonly policy = {
    name: 'testTableFaults',
    sendRequest: async (
      request: PipelineRequestLike,
      next: SendRequest,
    ): Promise<PipelineResponseLike> => {
      this.onRequest?.(request, this.requests.length);
      this.requests.push(`${request.method} ${decodeURIComponent(request.url)}`);
      const fault = this.take(request);
      if (fault === undefined) return next(request);
      this.hits[fault.fault] += 1;
      switch (fault.fault) {
        case 503:
          return tableError(request, 503, 'ServerBusy', 'The server is busy (injected).');
        case 412:
          return tableError(
            request,
            412,
            'UpdateConditionNotSatisfied',
            'The update condition specified in the request was not satisfied (injected).',
          );
        case 'lost-answer':
          await next(request);
          throw Object.assign(new Error('socket hang up (injected after the write)'), {
            code: 'ECONNRESET',
          });
      }
    },
  };

  /**
   * The production client for a connection string, with this policy inside its retries. The
   * SDK's retry count is kept; its waits are shortened (retries cost no time in tests) unless
   * `sdkRetryWaits` asks for the SDK's own (1 s, doubling: what bridges an outage in Azure).
   */
  clientFactory(connectionString: string, sdkRetryWaits = false): TableClientFactory {
    return (name) =>
      TableClient.fromConnectionString(connectionString, name, {
        allowInsecureConnection: true,
        ...(sdkRetryWaits ? {} : { retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 100 } }),
        additionalPolicies: [{ policy: this.policy as never, position: 'perRetry' }],
      });
  }

  /** A repository over the tables of `prefix`, every request through this policy. */
  repository(connectionString: string, prefix: string, sdkRetryWaits = false): Repository {
    return createRepository(
      new Tables(this.clientFactory(connectionString, sdkRetryWaits), prefix),
    );
  }
}
