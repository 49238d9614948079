/**
 * The tenant CLI's way to the running stack's simulated tenant: its admin API at the URL in
 * .dev-stack.json, over HTTPS trusting the tenant's own development CA (so nobody needs
 * `curl -k`). Failures come back as the API's one-line message.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ParsedTenantData } from '../model.js';
import { stackLocations } from '../../stack/locations.js';
import { NO_STACK_MESSAGE, readRunningStack } from '../../stack/stack-file.js';
import { CliError } from './cli-error.js';

export interface AdminClient {
  readonly url: string;
  state(): Promise<ParsedTenantData>;
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

function send(url: URL, ca: Buffer, method: string, body: unknown): Promise<[number, string]> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method,
        ca,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve([response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')]);
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 10 s')));
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

function failureMessage(status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: fall through
  }
  return `the tenant answered ${status}`;
}

export function clientFor(url: string, caPath: string): AdminClient {
  const ca = readFileSync(caPath);
  const call = async (method: string, path: string, body?: unknown) => {
    let status: number;
    let text: string;
    try {
      [status, text] = await send(new URL(`/_admin${path}`, url), ca, method, body);
    } catch (error) {
      throw new CliError(
        `The simulated tenant at ${url} did not answer (${error instanceof Error ? error.message : String(error)}): is \`npm start\` still running?`,
      );
    }
    if (status >= 400) throw new CliError(failureMessage(status, text));
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    url,
    call,
    state: async () => (await call('GET', '/state')) as ParsedTenantData,
  };
}

/** The running stack's tenant, or a CliError saying how to start one. */
export function stackTenantClient(): AdminClient {
  const stack = readRunningStack(stackLocations().stackFile);
  if (stack === undefined) throw new CliError(NO_STACK_MESSAGE);
  if (stack.tenant === null) {
    throw new CliError(
      'The running local stack uses a real tenant (ENTRA_TENANT_ID is configured): make this change in Entra ID instead.',
    );
  }
  return clientFor(stack.tenant.url, stack.tenant.caPath);
}
