/**
 * `npm run sync` is `node dist/cli/sync.js` with the local defaults filled in: these tests run the
 * built CLI in a child process against the sample tenant and the test Azurite (run
 * `npm run build` first; `npm test` does).
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueTablePrefix } from '../support/tables.js';
import { azuriteConnectionString } from '../support/tables.js';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${root}dist/cli/sync.js`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const sim = useSimulatedTenant(SAMPLE);

function sync(args: string[], environment: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        ...sim.env,
        TABLES_CONNECTION_STRING: azuriteConnectionString(),
        ...environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const source = statSync(`${root}cli/sync.ts`).mtimeMs;
  if (statSync(CLI).mtimeMs < source) {
    throw new Error(`${CLI} is older than cli/sync.ts: run \`npm run build\` first`);
  }
});

const KINDS = ['team-created', 'user-created', 'membership-added'];

describe('npm run sync', () => {
  it('--dry-run prints a readable plan, writes nothing and exits 0', async () => {
    // LLM.Viewer mapped as config/mishikallm.yaml does: an unmapped role is warned on stderr.
    const env = {
      TABLE_PREFIX: uniqueTablePrefix('RcCli'),
      ROLE_MAPPINGS: '{"LLM.Viewer":"internal_user_viewer"}',
    };
    const result = await sync(['--dry-run'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('Dry run: nothing was written.');
    // The team, its 4 members and their users, and Gus, assigned to the app directly.
    expect(lines[1]).toBe('10 change(s):');
    expect(result.stdout).toContain(
      `team-created         team "Production LLM Evals Group" (${S.evals}): group "Production LLM Evals Group" is assigned to the app`,
    );
    expect(result.stdout).toContain(
      `membership-added     team "Production LLM Evals Group" (${S.evals}), user "Dana Kowalski" (${S.dana}): member of the group in Entra ID`,
    );
    expect(lines.at(-1)).toMatch(
      /^run \S+ \(cli\) succeeded \| groups 1; teams created 1, renamed 0, archived 0, restored 0; memberships added 4, removed 0, held 0, repaired 0; users created 5, updated 0; Graph requests \d+; table writes 0; \d+\.\d s$/,
    );

    // Grouped by kind: the team first, then the users, then the memberships.
    const kinds = lines.slice(2, -1).map((line) => line.trim().split(/\s+/)[0] ?? '');
    expect(kinds).toEqual([...kinds].sort((a, b) => KINDS.indexOf(a) - KINDS.indexOf(b)));

    // --summary: counts per kind, no line per change.
    const summary = await sync(['--dry-run', '--summary'], env);
    expect(summary.code).toBe(0);
    expect(summary.stdout.trim().split('\n')).toEqual([
      'Dry run: nothing was written.',
      '10 change(s):',
      '  team-created         1',
      '  user-created         5',
      '  membership-added     4',
      expect.stringMatching(/^run \S+ \(cli\) succeeded \| /) as unknown,
    ]);

    // --json: the run record and the planned changes, parseable.
    const json = await sync(['--dry-run', '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      dryRun: boolean;
      record: { outcome: string; summary: Record<string, number> };
      changes: { kind: string }[];
    };
    expect(parsed.dryRun).toBe(true);
    expect(parsed.record.summary).toMatchObject({ teamsCreated: 1, tableWrites: 0 });
    expect(parsed.changes).toHaveLength(10);

    // Nothing was written: a real run still has everything to do.
    const real = await sync(['--json'], env);
    expect(real.code).toBe(0);
    const record = (JSON.parse(real.stdout) as { record: { summary: Record<string, number> } })
      .record;
    expect(record.summary).toMatchObject({ teamsCreated: 1, membershipsAdded: 4, tableWrites: 14 });
  });

  it('prints what was held and releases it with --max-removals', async () => {
    const env = { TABLE_PREFIX: uniqueTablePrefix('RcCli'), MAX_MEMBERSHIP_REMOVALS_PER_RUN: '1' };
    expect((await sync([], env)).code).toBe(0);
    sim.admin.removeMember(S.evals, S.ava);
    sim.admin.removeMember(S.evals, S.ben);
    try {
      const held = await sync([], env);
      expect(held.code).toBe(0);
      expect(held.stdout).toContain('No changes to apply.');
      expect(held.stdout).not.toContain('already match');
      expect(held.stdout).toContain('2 change(s) held: 2 membership removals exceed');
      expect(held.stdout).toContain(
        `membership-removed   team "Production LLM Evals Group" (${S.evals}), user "Ava Patel" (${S.ava})`,
      );
      expect(held.stdout).toMatch(/\(cli\) held .*HELD: /);

      const bad = await sync(['--max-removals', 'two'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--max-removals takes a whole number');

      const released = await sync(['--max-removals', '2'], env);
      expect(released.code).toBe(0);
      expect(released.stdout).toMatch(/\(cli\) succeeded .*removed 2, held 0/);
    } finally {
      sim.admin.reset();
    }
  });

  it('refuses an empty assignment list (exit 1) until --allow-empty-assignments', async () => {
    const env = { TABLE_PREFIX: uniqueTablePrefix('RcCli') };
    expect((await sync([], env)).code).toBe(0);
    sim.admin.unassignGroup(S.evals);
    try {
      const refused = await sync([], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Reconciliation failed (sync_refused)');
      const refusedJson = await sync(['--json'], env);
      expect(refusedJson.code).toBe(1);
      expect(JSON.parse(refusedJson.stdout)).toMatchObject({ error: { code: 'sync_refused' } });

      const allowed = await sync(['--allow-empty-assignments'], env);
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toMatch(/archived 1/);
    } finally {
      sim.admin.reset();
    }
  });
});
