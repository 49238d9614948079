/**
 * One local stack for the console tests: the stand-in host serving every function, the sample
 * simulated tenant as Entra, a full pass already run, and a manual team whose alias is markup
 * (group names are attacker-chosen in practice). Sign-ins go through the real login flow.
 */
import { afterAll, beforeAll } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import { functionDefinitions } from '../../functions/index.js';
import { CONSOLE_SESSION_COOKIE_NAME } from '../../shared/console/index.js';
import { createServices, useServices, type Services } from '../../shared/services.js';
import { teamProperties } from '../../shared/store/entities.js';
import { reconcile } from '../../shared/sync/reconcile.js';
import { newRunId } from '../../shared/sync/run-records.js';
import * as steps from '../auth/login-steps.js';
import { BEN, EVALS_GROUP, tenantSettings, useSampleTenant } from '../auth/tenant.js';
import { tablesOf } from '../support/tables.js';

export const SCRIPT_TEAM_ID = 'manual-script-team';
export const SCRIPT_ALIAS = '<script>alert("owned")</script> Evil & Co';

export interface ConsoleStack {
  readonly host: LocalHost;
  readonly services: Services;
  readonly tenant: ReturnType<typeof useSampleTenant>;
  /** Shifts the services' clock (to expire sessions). */
  clockOffsetMs: number;
  readonly logs: string[];
}

export function useConsoleStack(): ConsoleStack {
  const tenant = useSampleTenant();
  const stack = { tenant, clockOffsetMs: 0, logs: [] as string[] } as {
    host: LocalHost;
    services: Services;
    tenant: typeof tenant;
    clockOffsetMs: number;
    logs: string[];
  };
  beforeAll(async () => {
    const settings = tenantSettings(tenant);
    stack.services = createServices(settings, {
      clock: () => new Date(Date.now() + stack.clockOffsetMs),
    });
    useServices(stack.services);
    await reconcile(stack.services, { trigger: 'cli' });
    await tablesOf(stack.services).applyWrites([
      {
        table: 'teams',
        action: 'upsert',
        partitionKey: SCRIPT_TEAM_ID,
        rowKey: 'team',
        properties: teamProperties({
          teamAlias: SCRIPT_ALIAS,
          source: 'manual',
          models: [],
          teamMemberPermissions: [],
          archived: false,
          createdAt: new Date().toISOString(),
        }),
      },
    ]);
    stack.host = await startLocalHost({
      definitions: functionDefinitions,
      port: 0,
      timers: false,
      log: (level, message) => stack.logs.push(`${level}: ${message}`),
    });
  });
  afterAll(async () => {
    await stack.host.stop();
    useServices(undefined);
  });
  return stack;
}

/** Signs a user in through /api/sso/login and the tenant's page; answers the console cookie. */
export async function signIn(
  stack: Pick<ConsoleStack, 'host' | 'tenant'>,
  userId: string,
): Promise<string> {
  const start = await steps.startLogin(stack.host.url, '?redirect=%2Fapi%2Fconsole');
  const answer = await steps.pickUser(stack.tenant, start.authorize, userId);
  const response = await steps.callback(answer, start.cookie);
  if (response.status !== 302) throw new Error(`sign-in failed: ${response.text}`);
  const line = response.setCookie
    .split('\n')
    .find((cookie) => cookie.startsWith(`${CONSOLE_SESSION_COOKIE_NAME}=`));
  if (line === undefined) throw new Error('no console session cookie was set');
  return line.split(';')[0] ?? '';
}

export async function get(stack: ConsoleStack, path: string, cookie?: string) {
  const response = await fetch(`${stack.host.url}${path}`, {
    redirect: 'manual',
    headers: cookie === undefined ? {} : { cookie },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export async function post(
  stack: ConsoleStack,
  path: string,
  fields: Record<string, string>,
  cookie?: string,
) {
  const response = await fetch(`${stack.host.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie === undefined ? {} : { cookie }),
    },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The CSRF token of the page's first form. */
export function csrfOf(html: string): string {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

/** A full pass on record that held one removal (Ben from the evals team); answers its run id. */
export async function seedHeldRun(stack: ConsoleStack): Promise<string> {
  const startedAt = new Date(Date.now() + stack.clockOffsetMs);
  const runId = newRunId(startedAt);
  await stack.services.repository.writeRun({
    runId,
    trigger: 'timer',
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    outcome: 'held',
    holdReason: '1 membership removal(s) exceed MAX_MEMBERSHIP_REMOVALS_PER_RUN (0)',
    held: [
      { kind: 'membership-removed', teamId: EVALS_GROUP, userId: BEN, reason: 'left <b>group</b>' },
    ],
    incompleteGroups: [],
  });
  return runId;
}
