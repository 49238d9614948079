/**
 * Runs a compiled entry point after building only if a source changed (scripts/build.mjs):
 *   node scripts/dev-run.mjs dev/sync.js [args...]   runs dist/dev/sync.js with args
 * The entry runs in this process, so a current build costs one file scan and no second Node.js.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIfStale, defaultRoot } from './build.mjs';

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  process.stderr.write(
    'Usage: node scripts/dev-run.mjs <entry under dist/, e.g. dev/sync.js> [args]\n',
  );
  process.exit(2);
}
const code = buildIfStale(defaultRoot);
if (code !== 0) process.exit(code);
// The entry reads its arguments from process.argv, as when started as `node dist/<entry>`.
const script = join(defaultRoot, 'dist', entry);
process.argv = [process.argv[0] ?? process.execPath, script, ...args];
await import(pathToFileURL(script).href);
