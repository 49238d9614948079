/**
 * Seconds, not half-hours, on the local stack: `npm start` subscribes its own webhook to the
 * simulated tenant's change notifications, so a member added or removed with the tenant CLI
 * reaches both partitions without a sign-in or `npm run sync`.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, temporaryDataDir, tenant, type RunningStack } from '../support/local-stack.js';
import { S } from '../support/sample-tenant.js';

const EVALS = 'Production LLM Evals Group';
const ELIF = 'elif.demir@mishikallm.onmicrosoft.com';
const dataDir = temporaryDataDir();
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack(dataDir);
}, 120_000);
afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string): Promise<unknown> {
  const response = await fetch(
    `${stack.record.functions.url.replace('localhost', '127.0.0.1')}/api/${path}`,
  );
  return response.status === 200 ? response.json() : undefined;
}

/** Polls `check` every 100 ms for at most `limitMs`; answers whether it came true. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

const teamMembers = async () => {
  const team = (await api(`teams/${S.evals}`)) as { members?: { userId: string }[] } | undefined;
  return new Set((team?.members ?? []).map((member) => member.userId));
};
const userTeams = async () => {
  const user = (await api(`users/${S.elif}`)) as { teams?: { teamId: string }[] } | undefined;
  return new Set((user?.teams ?? []).map((team) => team.teamId));
};

describe('change notifications on the local stack', () => {
  it('subscribe at start-up: the status says on, with a subscription', async () => {
    const subscribed = await within(15_000, async () => {
      const status = (await api('sync/status')) as
        { notifications?: { state?: string; subscription?: { id?: string } | null } } | undefined;
      return (
        status?.notifications?.state === 'on' && Boolean(status.notifications.subscription?.id)
      );
    });
    expect(subscribed, stack.output()).toBe(true);
  }, 30_000);

  it('carry a member added with the tenant CLI to both partitions, with no sign-in and no sync', async () => {
    const added = await tenant(dataDir, 'add-member', EVALS, ELIF);
    expect(added.code, added.stderr).toBe(0);
    const seen = await within(
      10_000,
      async () => (await teamMembers()).has(S.elif) && (await userTeams()).has(S.evals),
    );
    expect(seen, stack.output()).toBe(true);
  }, 30_000);

  it('and a member removed', async () => {
    const removed = await tenant(dataDir, 'remove-member', EVALS, ELIF);
    expect(removed.code, removed.stderr).toBe(0);
    const gone = await within(
      10_000,
      async () => !(await teamMembers()).has(S.elif) && !(await userTeams()).has(S.evals),
    );
    expect(gone, stack.output()).toBe(true);
  }, 30_000);
});
