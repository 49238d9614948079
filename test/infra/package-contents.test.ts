import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ignore from 'ignore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../functions/index.js';
import { repoRoot } from './arm.js';

/** The files `func azure functionapp publish` would upload: the tree less what .funcignore excludes. */
function funcignoreFiles(): string[] {
  const rules = ignore().add(readFileSync(join(repoRoot, '.funcignore'), 'utf8'));
  const kept: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(join(repoRoot, directory), { withFileTypes: true })) {
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      if (entry.isDirectory()) {
        if (rules.ignores(`${path}/`)) continue;
        // node_modules is shipped whole (the dependencies are checked below); not walked here.
        if (path === 'node_modules') kept.push('node_modules/');
        else walk(path);
      } else if (!rules.ignores(path)) {
        kept.push(path);
      }
    }
  };
  walk('');
  return kept.sort();
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** Every module the entry point loads, followed through relative imports. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(join(repoRoot, file), 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      if (specifier.startsWith('.')) {
        pending.push(relative(repoRoot, resolve(repoRoot, dirname(file), specifier)));
      } else {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? ''));
      }
    }
  }
  return { files, packages };
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Every file under a folder, relative to it, skipping node_modules. */
function filesUnder(root: string, directory = ''): string[] {
  return readdirSync(join(root, directory), { withFileTypes: true }).flatMap((entry) => {
    const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
    if (path === 'node_modules') return [];
    return entry.isDirectory() ? filesUnder(root, path) : [path];
  });
}

const isRuntimeFile = (file: string) =>
  ['host.json', 'package.json', 'package-lock.json'].includes(file) ||
  /^dist\/(functions|shared)\/.+\.js(\.map)?$/.test(file);

describe('the deployment package (.funcignore)', () => {
  it('holds the host files, the compiled functions and shared/, and node_modules, nothing else', () => {
    expect(existsSync(join(repoRoot, manifest.main)), 'run `npm run build` first').toBe(true);
    const files = funcignoreFiles();
    const outside = files.filter((file) => file !== 'node_modules/' && !isRuntimeFile(file));
    expect(outside).toEqual([]);
    expect(files).toContain(manifest.main);
    expect(files.some((file) => file.startsWith('dist/shared/'))).toBe(true);
    // What a developer's machine has and Azure must not get.
    for (const local of ['dist/dev/', 'dist/bench/', 'dist/cli/', 'dist/test/', 'dist/infra/']) {
      expect(
        files.filter((file) => file.startsWith(local)),
        local,
      ).toEqual([]);
    }
    for (const secret of ['local.settings.json', '.azurite/', '.dev-certs/', '.tools/']) {
      expect(
        files.filter((file) => file.startsWith(secret)),
        secret,
      ).toEqual([]);
    }
  });

  it('is enough to run: every module the entry point loads is in it, every package a dependency', () => {
    const packaged = new Set(funcignoreFiles());
    const { files, packages } = importClosure(manifest.main);
    expect([...files].filter((file) => !packaged.has(file))).toEqual([]);
    expect(files.size).toBeGreaterThan(20);
    const builtins = new Set(builtinModules);
    const undeclared = [...packages].filter(
      (name) =>
        !name.startsWith('node:') && !builtins.has(name) && !(name in manifest.dependencies),
    );
    expect(undeclared).toEqual([]);
  });
});

describe('the deployment package azd uploads (npm run package → .deploy/)', () => {
  let folder: string;
  beforeAll(() => {
    folder = join(mkdtempSync(join(tmpdir(), 'package-')), 'deploy');
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'package.mjs'), folder], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
  }, 180_000);
  afterAll(() => {
    rmSync(dirname(folder), { recursive: true, force: true });
  });

  it('holds only the runtime files and the production dependencies', () => {
    const files = filesUnder(folder);
    expect(files.filter((file) => !isRuntimeFile(file))).toEqual([]);
    expect(files).toContain(manifest.main);
    const installed = readdirSync(join(folder, 'node_modules'));
    for (const name of Object.keys(manifest.dependencies)) {
      expect(installed, name).toContain(name.split('/')[0]);
    }
    for (const name of Object.keys(manifest.devDependencies)) {
      expect(existsSync(join(folder, 'node_modules', name)), name).toBe(false);
    }
  });

  it('starts from the package alone: the entry point registers every function', () => {
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('./${manifest.main}'); console.log(JSON.stringify(m.functionDefinitions.map((f) => f.name)));`,
      ],
      {
        cwd: folder,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          ENTRA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
          ENTRA_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
        },
      },
    );
    expect(probe.status, probe.stderr).toBe(0);
    const names = JSON.parse(probe.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
    expect(names).toEqual(functionDefinitions.map((definition) => definition.name));
  });
});
