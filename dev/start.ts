/**
 * `npm start`: the service on this machine with nothing but Node.js. Missing settings get
 * the embedded defaults (dev/local-environment.ts); then `func start` runs when Azure
 * Functions Core Tools are installed, or the local stand-in host (dev/host.ts) otherwise.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { prepareLocalEnvironment, repositoryRoot } from './local-environment.js';

function onPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const environment = await prepareLocalEnvironment();
const port = environment.settings.PORT ?? '7071';
const func = onPath('func');
const [command, args] =
  func !== undefined
    ? [func, ['start', '--port', port]]
    : [process.execPath, [join(repositoryRoot, 'dist/dev/serve.js')]];

console.log(
  [
    '',
    ...environment.notes.map((note) => `  ${note}`),
    func !== undefined
      ? `  Functions host: func start (Azure Functions Core Tools), port ${port}`
      : `  Functions host: local stand-in (Core Tools not on PATH), port ${port}`,
    '',
    `  Health:   curl http://localhost:${port}/api/health`,
    `  Sign in:  open http://localhost:${port}/api/sso/login`,
    `  Teams:    curl http://localhost:${port}/api/teams`,
    `  Sync now: npm run sync (in another terminal)`,
    '',
  ].join('\n'),
);

const child = spawn(command, args, {
  cwd: repositoryRoot,
  env: { ...environment.settings, PORT: port },
  stdio: 'inherit',
});

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null) child.kill('SIGINT');
  await environment.stop();
  process.exit(code);
}
child.once('exit', (code) => void stop(code ?? 0));
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
