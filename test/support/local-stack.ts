/**
 * The real `npm start` entry (dist/dev/start.js) in a child process, with its own data folder
 * and free ports, and the other local commands run against it the way a user runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackRecord } from '../../dev/stack/stack-file.js';

export const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

export function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'local-stack-'));
}

/** An environment without the test run's own settings, pointing the stack at `dataDir`. */
export function stackEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'NODE_EXTRA_CA_CERTS', 'DEV_CERT_DIR', 'SystemRoot']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    DEV_DATA_DIR: dataDir,
    DEV_LOCAL_SETTINGS: join(dataDir, 'local.settings.json'),
    PORT: '0',
    TENANT_PORT: '0',
    AZURITE_BLOB_PORT: '0',
    AZURITE_QUEUE_PORT: '0',
    AZURITE_TABLE_PORT: '0',
  };
}

export interface RunningStack {
  readonly record: StackRecord;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startStack(dataDir: string): Promise<RunningStack> {
  const stackFile = join(dataDir, '.dev-stack.json');
  const child: ChildProcess = spawn(process.execPath, [join(REPOSITORY, 'dist/dev/start.js')], {
    cwd: REPOSITORY,
    env: stackEnv(dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!existsSync(stackFile)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const record = JSON.parse(readFileSync(stackFile, 'utf8')) as StackRecord;
  return {
    record,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a compiled local command (`dev/sync.js`, `dev/tenant/cli.js`) against `dataDir`'s stack. */
export function runCommand(
  entry: string,
  args: readonly string[],
  dataDir: string,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPOSITORY, 'dist', entry), ...args], {
      cwd: REPOSITORY,
      env: stackEnv(dataDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export const tenant = (dataDir: string, ...args: string[]) =>
  runCommand('dev/tenant/cli.js', args, dataDir);
export const sync = (dataDir: string, ...args: string[]) =>
  runCommand('dev/sync.js', args, dataDir);
