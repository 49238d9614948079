/**
 * Bad settings and a bad settings file stop start-up, naming the setting and never printing a
 * secret: each class of setting through the real start-up path (the stand-in host process
 * `npm start` runs, dist/dev/serve.js: functions/load-settings.ts first), then random garbage
 * around planted secrets through loadSettings (property-based, fixed seed).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import { REPOSITORY } from '../support/local-stack.js';
import { TEST_CLIENT_ID, TEST_TENANT_ID } from '../support/services.js';

const PLANTED = 'PLANTED-secret-6d3f1c';
const BASE = {
  ENTRA_TENANT_ID: TEST_TENANT_ID,
  ENTRA_CLIENT_ID: TEST_CLIENT_ID,
  ENTRA_CLIENT_SECRET: `${PLANTED}-client`,
  SESSION_SECRET: `${PLANTED}-session-0123456789abcdef`,
};
const directory = mkdtempSync(join(tmpdir(), 'start-up-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function yamlFile(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/** The stand-in host's process with only these settings: its exit code and what it printed. */
function startUp(settings: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPOSITORY, 'dist/dev/serve.js')], {
      cwd: REPOSITORY,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...BASE, ...settings },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const SECRET_KEY = `${PLANTED}Ak9+key==`;
const CASES: readonly (readonly [string, Record<string, string>, string])[] = [
  ['a bad enum', { GROUP_MEMBERSHIP: 'sideways' }, 'GROUP_MEMBERSHIP = "sideways"'],
  ['a bad number', { MAX_MEMBERSHIP_REMOVALS_PER_RUN: '5e2' }, 'MAX_MEMBERSHIP_REMOVALS_PER_RUN'],
  ['a bad URL', { ENTRA_AUTHORITY_HOST: 'http://login.example' }, 'ENTRA_AUTHORITY_HOST'],
  ['a bad cron', { SYNC_SCHEDULE: '0 0 25 * * *' }, 'SYNC_SCHEDULE = "0 0 25 * * *"'],
  [
    'a malformed connection string with an AccountKey (commas for semicolons)',
    {
      TABLES_CONNECTION_STRING: `DefaultEndpointsProtocol=https,AccountName=dev,AccountKey=${SECRET_KEY}`,
    },
    'TABLES_CONNECTION_STRING = "DefaultEndpointsProtocol=(hidden)"',
  ],
  [
    'a connection string whose key runs into a public part',
    { QUEUES_CONNECTION_STRING: `QueueEndpoint=https://q.example/?sig=${SECRET_KEY}` },
    'QUEUES_CONNECTION_STRING = (not shown): expected a connection string the Storage SDK accepts',
  ],
  ['a bad ROLE_MAPPINGS', { ROLE_MAPPINGS: '{"LLM.Admin": "root"}' }, 'ROLE_MAPPINGS'],
  [
    'unknown keys in a JSON setting (a secret pasted into it)',
    { DEFAULT_TEAM_PARAMS: `{"max_budget": 1, "api_key": "${SECRET_KEY}"}` },
    'DEFAULT_TEAM_PARAMS = (not shown): expected only known keys (unknown: api_key',
  ],
];

const YAML_CASES: readonly (readonly [string, string, string])[] = [
  [
    'a syntax error',
    `general_settings:\n  master_key: ${SECRET_KEY}\n  x: [unclosed\nmishikallm_settings: {\n`,
    'expected valid YAML',
  ],
  [
    'wrong types',
    `general_settings:\n  master_key: ${SECRET_KEY}\nmishikallm_settings:\n  default_team_params:\n    max_budget: lots\n`,
    'mishikallm_settings.default_team_params.max_budget = "lots": expected a number of USD',
  ],
  [
    'unknown keys (a secret in one)',
    `mishikallm_settings:\n  default_team_params:\n    max_budget: 10\n    master_key: ${SECRET_KEY}\n`,
    'mishikallm_settings.default_team_params = (not shown): expected only known keys (unknown: master_key',
  ],
  [
    'a mapping where a role belongs',
    `mishikallm_settings:\n  role_mappings:\n    LLM.Admin: { key: ${SECRET_KEY} }\n`,
    'role_mappings.LLM.Admin = (not shown)',
  ],
];

function expectStopped(result: { code: number | null; output: string }, names: string) {
  expect(result.code, result.output).toBe(1);
  expect(result.output).toContain('Start-up stopped. Invalid settings:');
  expect(result.output).toContain(names);
  expect(result.output).not.toContain(PLANTED);
}

describe('start-up stops on a bad setting, naming it, never printing a secret', () => {
  it.each(CASES)('%s', async (_what, settings, names) => {
    expectStopped(await startUp(settings), names);
  });

  it.each(YAML_CASES)('a settings file with %s', async (what, text, names) => {
    const path = yamlFile(`${what.replaceAll(' ', '-')}.yaml`, text);
    const result = await startUp({ MISHIKALLM_CONFIG: path });
    expectStopped(result, names);
    expect(result.output).toContain(path);
  });
});

/** Garbage with the planted secret somewhere inside it, as a secret-bearing value may be. */
const garbageAround = fc
  .tuple(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('', ';', ',', '=', ' ', '"', '?sig=', 'AccountKey=', ':', '&'),
    fc.string({ maxLength: 10 }),
  )
  .map(([before, glue, after]) => `${before}${glue}${PLANTED}${after}`);

/** A setting and a bad value for it that carries the planted secret where a secret may sit. */
const badSetting = fc.oneof(
  fc
    .tuple(fc.constantFrom('TABLES_CONNECTION_STRING', 'QUEUES_CONNECTION_STRING'), garbageAround)
    .chain(([name, garbage]) =>
      fc
        .constantFrom(
          garbage,
          `AccountName=dev${garbage}`,
          `DefaultEndpointsProtocol=https,AccountName=dev,AccountKey=${garbage}`,
          `TableEndpoint=https://t.example/?${garbage}`,
          `QueueEndpoint=https://q.example/?sv=1&sig=${garbage}`,
        )
        .map((value) => [name, value] as const),
    ),
  fc.tuple(fc.constantFrom('SESSION_SECRET', 'NOTIFICATION_CLIENT_STATE'), garbageAround),
  fc
    .tuple(
      fc.constantFrom('DEFAULT_TEAM_PARAMS', 'DEFAULT_INTERNAL_USER_PARAMS'),
      fc.string({ maxLength: 12 }),
      garbageAround,
      fc.boolean(),
    )
    .map(
      ([name, key, garbage, alsoWrong]) =>
        [
          name,
          JSON.stringify({
            ...(alsoWrong ? { max_budget: 'x', models: 'all' } : {}),
            [`unknown_${key}`]: garbage,
          }),
        ] as const,
    ),
  // Settings that hold no secret, garbage in them beside the planted ones in BASE.
  fc.tuple(
    fc.constantFrom('GROUP_MEMBERSHIP', 'SYNC_SCHEDULE', 'GRAPH_ENDPOINT', 'NOTIFICATION_URL'),
    fc.string({ minLength: 1, maxLength: 30 }),
  ),
);

describe('random garbage around a planted secret', () => {
  it('never brings the secret into the start-up error', () => {
    const runs = { total: 0, rejected: 0 };
    fc.assert(
      fc.property(badSetting, ([name, value]) => {
        runs.total += 1;
        try {
          loadSettings({ ...BASE, [name]: value });
        } catch (error) {
          runs.rejected += 1;
          expect((error as Error).message).toContain(name);
          expect((error as Error).message).not.toContain(PLANTED);
        }
      }),
      { seed: 14, numRuns: 400 },
    );
    console.info(
      `start-up: ${runs.total} garbage values, ${runs.rejected} refused, no secret shown`,
    );
    expect(runs.rejected).toBeGreaterThan(runs.total / 2);
  });
});
