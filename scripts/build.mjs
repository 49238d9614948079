/**
 * The build, skipped when it is current: `tsc` takes about 15 s even when nothing changed, which
 * made `npm run sync` (a 0.3 s job) and `--help` wait for it every time. The build is current when
 * no input (a .ts file under the compiled folders, a tsconfig, package.json or the lock file) is
 * newer than the stamp written after the last successful build.
 *
 *   node scripts/build.mjs             always builds (npm run build)
 *   node scripts/build.mjs --if-stale  builds only when an input changed
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const defaultRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const SOURCE_FOLDERS = ['functions', 'shared', 'dev', 'cli', 'bench'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

export function stampPath(root) {
  return join(root, 'dist', '.build-stamp');
}

function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestTypeScript(folder) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTypeScript(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, mtimeOf(path) ?? 0);
  }
  // A deleted or renamed file changes its folder's mtime, not any file's.
  return Math.max(newest, mtimeOf(folder) ?? 0);
}

/** The first input newer than the last build, or undefined when the build is current. */
export function staleInput(root = defaultRoot) {
  const stamp = mtimeOf(stampPath(root));
  if (stamp === undefined) return 'no build yet';
  for (const file of INPUT_FILES) {
    if ((mtimeOf(join(root, file)) ?? 0) > stamp) return file;
  }
  for (const folder of SOURCE_FOLDERS) {
    if (newestTypeScript(join(root, folder)) > stamp) return `${folder}/`;
  }
  return undefined;
}

/** Runs tsc; writes the stamp only when it succeeds. Returns tsc's exit code. */
export function build(root = defaultRoot) {
  const started = Date.now();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  const code = result.status ?? 1;
  if (code === 0) {
    mkdirSync(join(root, 'dist'), { recursive: true });
    // The stamp's mtime is when the build started: a file saved during it counts as newer.
    writeFileSync(stampPath(root), `${new Date(started).toISOString()}\n`);
    utimesSync(stampPath(root), started / 1000, started / 1000);
  }
  return code;
}

/** Builds when stale, saying why on stderr; returns 0 when the build is current afterwards. */
export function buildIfStale(root = defaultRoot) {
  const reason = staleInput(root);
  if (reason === undefined) return 0;
  process.stderr.write(`Building (${reason === 'no build yet' ? reason : `${reason} changed`})…\n`);
  return build(root);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = process.argv.includes('--if-stale') ? buildIfStale() : build();
}
