#!/usr/bin/env node
// Gets the Node.js this repository runs on (the version in .nvmrc, the one Azure Functions runs)
// from the npm registry's `node-<platform>-<arch>` package into .tools/node/, on any machine
// whose own Node is older, and runs a command with it first on PATH:
//
//   node scripts/node22.mjs npm start        # or: npm test, npm run sync, ...
//   node scripts/node22.mjs                  # installs if needed, prints the PATH line to export
//
// npm itself is a script run by whichever `node` is first on PATH, so `npm ci`, `npm start` and
// `npm test` all run under the installed version.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const version = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const prefix = join(root, '.tools', 'node');
const binDir = join(prefix, 'node_modules', pkg, 'bin');
const nodeBin = join(binDir, process.platform === 'win32' ? 'node.exe' : 'node');

function installedVersion() {
  if (!existsSync(nodeBin)) return undefined;
  const probe = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim().replace(/^v/, '') : undefined;
}

if (installedVersion() !== version) {
  process.stderr.write(`Installing Node.js ${version} (${pkg}@${version}) into .tools/node ...\n`);
  const install = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `${pkg}@${version}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' },
  );
  if (install.status !== 0 || installedVersion() !== version) {
    process.stderr.write(
      `Could not install ${pkg}@${version} from the npm registry. Install Node.js ${version} another way (nvm, fnm, your package manager) and run the command directly.\n`,
    );
    process.exit(1);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stdout.write(`export PATH="${binDir}${delimiter}$PATH"\n`);
  process.exit(0);
}
const run = spawnSync(command, args, {
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` },
});
process.exit(run.status ?? 1);
