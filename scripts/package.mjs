#!/usr/bin/env node
// Assembles the deployment package in .deploy/: what runs in Azure and nothing else. `azd`
// runs this as the project's `package` script and uploads the folder (`dist: .deploy` in
// azure.yaml): host.json, package.json and its lock, the compiled functions and shared/ (with
// source maps for stack traces), and the production dependencies only (`npm ci --omit=dev`).
// dev/, bench/, cli/, test/, infra/ and the dev dependencies (Azurite, the browser driver,
// the compilers) stay on the developer's machine. test/infra/package-contents.test.ts runs it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = resolve(root, process.argv[2] ?? '.deploy');
const COMPILED = ['dist/functions', 'dist/shared'];

for (const folder of COMPILED) {
  if (!existsSync(join(root, folder))) {
    process.stderr.write(`${folder} is missing: run \`npm run build\` first.\n`);
    process.exit(1);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of ['host.json', 'package.json', 'package-lock.json']) {
  cpSync(join(root, file), join(out, file));
}
for (const folder of COMPILED) {
  cpSync(join(root, folder), join(out, folder), {
    recursive: true,
    filter: (source) => statSync(source).isDirectory() || /\.js(\.map)?$/.test(source),
  });
}

const install = spawnSync(
  'npm',
  ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
  { cwd: out, stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' },
);
if (install.status !== 0) {
  process.stderr.write('npm ci --omit=dev failed in the package folder (see above).\n');
  process.exit(1);
}
const packages = readdirSync(join(out, 'node_modules')).filter((name) => !name.startsWith('.'));
process.stdout.write(
  `Deployment package in ${out}: ${COMPILED.join(', ')} and ${packages.length} production packages.\n`,
);
