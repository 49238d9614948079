/**
 * The local stack as a newcomer runs it: the real `npm start` entry (its own data folder, free
 * ports), the tenant CLI and `npm run sync` against it, a restart, and a reset.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S } from '../support/sample-tenant.js';
import {
  runCommand,
  startStack,
  sync,
  temporaryDataDir,
  tenant,
  type RunningStack,
} from '../support/local-stack.js';

const EVALS = 'Production LLM Evals Group';
const PROD = 'Default MishikaLLM Prod Team';
const ELIF = 'elif.demir@mishikallm.onmicrosoft.com';

interface TeamDetail {
  team: { teamAlias: string; maxBudget?: number; budgetDuration?: string; models?: string[] };
  members: { userId: string }[];
}

async function team(stack: RunningStack, id: string): Promise<TeamDetail | undefined> {
  const response = await fetch(
    `${stack.record.functions.url.replace('localhost', '127.0.0.1')}/api/teams/${id}`,
  );
  return response.status === 404 ? undefined : ((await response.json()) as TeamDetail);
}

describe('with no stack running', () => {
  const dataDir = temporaryDataDir();
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm run sync says in one line how to start one, and fails', async () => {
    const result = await sync(dataDir);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      'No local stack is running: start one with `npm start` (in another terminal), then run this again.',
    ]);
  });

  it('a tenant verb says the same in one line', async () => {
    const result = await tenant(dataDir, 'groups');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('npm start');
  });

  it('--help prints the usage without a stack', async () => {
    const result = await sync(dataDir, '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run sync');
  });
});

describe('npm start, then the walkthrough from another terminal', () => {
  const dataDir = temporaryDataDir();
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack(dataDir);
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records what runs and says what is embedded and what to do next', () => {
    expect(stack.record.tenant?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.record.storage).toMatchObject({ location: join(dataDir, '.azurite') });
    expect(existsSync(join(dataDir, '.dev-tenant', 'state.json'))).toBe(true);
    const banner = stack.output();
    expect(banner).toContain('simulated tenant');
    expect(banner).toContain('(embedded)');
    expect(banner).toContain(`npm run tenant -- assign "${PROD}"`);
    expect(banner).not.toContain('sim~dev-only-client-secret');
  });

  it('npm run sync sees a member added and a group assigned through the tenant CLI, and writes them', async () => {
    expect((await tenant(dataDir, 'add-member', EVALS.toLowerCase(), ELIF)).code).toBe(0);
    const assigned = await tenant(dataDir, 'assign', PROD);
    expect(assigned.stdout).toContain(`Assigned "${PROD}"`);

    const first = await sync(dataDir);
    expect(first.code, first.stderr).toBe(0);
    // The stack's own change notifications may have created the evals team already (its
    // subscription's catch-up pass, then the add-member); the assignment is no group change,
    // so that team is the sync's to create. Either way both exist after it, as below.
    expect(first.stdout).toMatch(/teams created [12], renamed 0, archived 0/);
    const evals = await team(stack, S.evals);
    expect(evals?.members.map((member) => member.userId)).toContain(S.elif);
    const prod = await team(stack, S.prodTeam);
    expect(prod?.team).toMatchObject({
      teamAlias: PROD,
      maxBudget: 100,
      budgetDuration: '30d',
      models: ['gpt-3.5-turbo'],
    });
    expect(prod?.members.map((member) => member.userId)).toContain(S.elif);

    const second = await sync(dataDir);
    expect(second.stdout).toMatch(
      /teams created 0, renamed 0, archived 0.*memberships added 0, removed 0/,
    );
    expect(second.stdout).toMatch(/table writes 0/);
  });

  it('keeps the tenant and the tables across a restart: a sync afterwards changes nothing', async () => {
    await stack.stop();
    expect(existsSync(join(dataDir, '.dev-stack.json'))).toBe(false);
    stack = await startStack(dataDir);

    const groups = await tenant(dataDir, 'groups');
    expect(groups.stdout).toMatch(new RegExp(`${PROD}\\s+${S.prodTeam}\\s+assigned`));
    expect(groups.stdout).toMatch(/Production LLM Evals Group.*Elif Demir/);
    const after = await sync(dataDir);
    expect(after.stdout).toMatch(
      /teams created 0, renamed 0, archived 0.*memberships added 0, removed 0/,
    );
    expect((await team(stack, S.evals))?.members.map((member) => member.userId)).toContain(S.elif);
  });

  it('reset starts the running tenant over from the sample, and writes it down', async () => {
    const result = await tenant(dataDir, 'reset');
    expect(result.code, result.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(dataDir, '.dev-tenant', 'state.json'), 'utf8')) as {
      assignments: { principalId: string }[];
    };
    expect(saved.assignments.map((assignment) => assignment.principalId)).not.toContain(S.prodTeam);
    expect((await tenant(dataDir, 'groups')).stdout).toMatch(
      new RegExp(`${PROD}\\s+${S.prodTeam}\\s+-`),
    );
  });

  it('a second npm start says one is already running', async () => {
    const second = await runCommand('dev/start.js', [], dataDir);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already running');
  });
});

describe('reset with no stack running', () => {
  it('rewrites the state file from the sample', async () => {
    const dataDir = temporaryDataDir();
    try {
      const result = await tenant(dataDir, 'reset');
      expect(result.code, result.stderr).toBe(0);
      const saved = JSON.parse(
        readFileSync(join(dataDir, '.dev-tenant', 'state.json'), 'utf8'),
      ) as {
        tenantId: string;
      };
      expect(saved.tenantId).toBe(S.tenantId);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('npm run sync --help', () => {
  it('lists every option of the reconciliation CLI it runs', async () => {
    const dataDir = temporaryDataDir();
    try {
      const own = await runCommand('dev/sync.js', ['--help'], dataDir);
      const cli = await runCommand('cli/sync.js', ['--help'], dataDir);
      const usage = cli.stdout.trim().split('\n')[0] ?? '';
      expect(usage).toMatch(/^Usage: npm run sync/);
      expect(own.stdout).toContain(usage);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
