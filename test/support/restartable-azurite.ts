/**
 * Azurite's table service in a process of its own, keeping its data in a folder, so a test can
 * stop it in the middle of a run and start it again on the same port and data. It is stopped
 * with SIGINT, Azurite's own shutdown: SIGKILL would also lose the writes it acknowledged in
 * the last 5 s (it saves its database every 5 s), which Table Storage never does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AZURITE_ACCOUNT, azuriteConnectionString } from '../../shared/store/index.js';

const require = createRequire(import.meta.url);

export interface RestartableAzurite {
  readonly connectionString: string;
  /** Stops the process (SIGINT) and starts a new one on the same port and folder. */
  restart(): Promise<void>;
  /** How many times it was restarted. */
  readonly restarts: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Azurite: timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startRestartableAzurite(): Promise<RestartableAzurite> {
  const location = mkdtempSync(join(tmpdir(), 'azurite-restart-'));
  const port = await freePort();
  const main = require.resolve('azurite/dist/src/table/main.js');
  let child: ChildProcess | undefined;
  let restarts = 0;

  const start = async () => {
    const process_ = spawn(
      process.execPath,
      [
        main,
        '--tableHost',
        '127.0.0.1',
        '--tablePort',
        String(port),
        '--location',
        location,
        '--skipApiVersionCheck',
        '--disableTelemetry',
      ],
      { stdio: 'ignore' },
    );
    child = process_;
    await until(() => accepting(port), `it listens on ${port}`);
  };
  const stopChild = async () => {
    const running = child;
    if (running?.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      running.once('exit', () => {
        resolve();
      });
    });
    running.kill('SIGINT');
    await exited;
    child = undefined;
  };

  await start();
  return {
    connectionString: azuriteConnectionString(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`),
    async restart() {
      await stopChild();
      restarts += 1;
      await start();
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      await stopChild();
      rmSync(location, { recursive: true, force: true });
    },
  };
}
