/**
 * `npm run sync`: runs the reconciliation CLI (cli/sync.ts) with the same embedded defaults
 * as `npm start` for whatever is not configured, so it works on a fresh machine against the
 * simulated tenant, and against a real tenant once its settings are given.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { prepareLocalEnvironment, repositoryRoot } from './local-environment.js';

const environment = await prepareLocalEnvironment();
const quiet = process.argv.includes('--json');
if (!quiet) for (const note of environment.notes) console.error(`  ${note}`);

const child = spawn(
  process.execPath,
  [join(repositoryRoot, 'dist/cli/sync.js'), ...process.argv.slice(2)],
  {
    cwd: repositoryRoot,
    env: environment.settings,
    stdio: 'inherit',
  },
);
child.once('exit', (code) => {
  void environment.stop().then(() => process.exit(code ?? 1));
});
