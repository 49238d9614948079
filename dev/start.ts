/**
 * `npm start`: one local stack with nothing but Node.js. Whatever is not configured is embedded
 * (dev/local-environment.ts: Azurite, the simulated tenant); then `func start` runs when Azure
 * Functions Core Tools are installed, or the local stand-in host (dev/serve.ts) otherwise. Once
 * the functions answer, .dev-stack.json says what runs, so every other local command uses it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { prepareLocalEnvironment, type LocalEnvironment } from './local-environment.js';
import { stackBanner } from './stack/banner.js';
import { isSet, readConfiguredSettings } from './stack/configured-settings.js';
import { portSetting, repositoryRoot, stackLocations } from './stack/locations.js';
import { freePort, isPortFree } from './stack/ports.js';
import {
  readRunningStack,
  removeStackFile,
  writeStackFile,
  type StackRecord,
} from './stack/stack-file.js';

const FUNCTIONS_READY_TIMEOUT_MS = 120_000;

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

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Resolves once the functions host answers HTTP at all; rejects if it exits first. */
async function functionsReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + FUNCTIONS_READY_TIMEOUT_MS;
  while (child.exitCode === null && Date.now() < deadline) {
    try {
      await fetch(url.replace('localhost', '127.0.0.1'), { signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(
    child.exitCode === null
      ? `the functions host did not answer at ${url} within ${FUNCTIONS_READY_TIMEOUT_MS / 1000} s`
      : `the functions host stopped (exit code ${child.exitCode})`,
  );
}

const locations = stackLocations();
let configured;
try {
  configured = readConfiguredSettings(locations);
} catch (error) {
  fail(message(error));
}
const running = readRunningStack(locations.stackFile);
if (running !== undefined) {
  fail(
    `a local stack is already running (pid ${running.pid}, functions at ${running.functions.url}): use it, or stop it first (Ctrl+C in its terminal).`,
  );
}

let port: number;
try {
  port = portSetting(configured.settings, 'PORT');
} catch (error) {
  fail(message(error));
}
if (port === 0) port = await freePort();
else if (!(await isPortFree(port)))
  fail(`port ${port} is in use (another \`npm start\`?): stop it, or set PORT to another port.`);

let environment: LocalEnvironment;
try {
  environment = await prepareLocalEnvironment(configured, locations);
} catch (error) {
  fail(message(error));
}

const func = onPath('func');
const [command, args] =
  func !== undefined
    ? [func, ['start', '--port', String(port)]]
    : [process.execPath, [join(repositoryRoot, 'dist', 'dev', 'serve.js')]];
// With the simulated tenant embedded, Graph's change notifications come to this stack's own
// webhook (the tenant posts to loopback over http), so a change shows within seconds locally too.
const notificationsLocal =
  environment.tenant !== null && !isSet(environment.settings.NOTIFICATION_URL);
const child = spawn(command, args, {
  cwd: repositoryRoot,
  env: {
    ...environment.settings,
    PORT: String(port),
    ...(notificationsLocal
      ? { NOTIFICATION_URL: `http://localhost:${port}/api/graph/notifications` }
      : {}),
  },
  stdio: 'inherit',
});

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  removeStackFile(locations.stackFile);
  if (child.exitCode === null) {
    child.kill('SIGINT');
    const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killed);
  }
  await environment.stop();
  process.exit(code);
}
child.once('exit', (code) => void stop(code ?? 0));
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

const url = `http://localhost:${port}`;
try {
  await functionsReady(url, child);
} catch (error) {
  console.error(`npm start: ${message(error)}`);
  await stop(1);
}
const record: StackRecord = {
  version: 1,
  pid: process.pid,
  startedAt: new Date().toISOString(),
  functions: { url, host: func === undefined ? 'stand-in' : 'func' },
  tenant: environment.tenant,
  storage: environment.storage,
};
if (notificationsLocal) {
  // The upkeep timer runs hourly: subscribe now, through the host's admin route, as an
  // operator would with `func start`. The tenant checks the webhook before it agrees.
  await fetch(`${url.replace('localhost', '127.0.0.1')}/admin/functions/subscriptionUpkeep`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"input":""}',
  }).catch((error: unknown) => {
    console.error(`npm start: could not subscribe to change notifications: ${message(error)}`);
  });
}
writeStackFile(locations.stackFile, record);
console.log(stackBanner(record, configured, locations));
