/**
 * scripts/build.mjs in a copy of the layout it checks: a current build does not run tsc, a
 * changed source does, and `--if-stale` is what npm run sync / tenant / start go through.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY } from '../support/local-stack.js';

const root = mkdtempSync(join(tmpdir(), 'build-freshness-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function layout(): void {
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'dev'));
  copyFileSync(join(REPOSITORY, 'scripts/build.mjs'), join(root, 'scripts/build.mjs'));
  copyFileSync(join(REPOSITORY, 'scripts/dev-run.mjs'), join(root, 'scripts/dev-run.mjs'));
  symlinkSync(join(REPOSITORY, 'node_modules'), join(root, 'node_modules'), 'junction');
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(
    join(root, 'tsconfig.build.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        target: 'ES2022',
        outDir: 'dist',
        rootDir: '.',
        types: ['node'],
        skipLibCheck: true,
      },
      include: ['dev'],
    }),
  );
  writeFileSync(
    join(root, 'dev/hello.ts'),
    "console.log('hello ' + process.argv.slice(2).join(' '));\n",
  );
}

function run(...args: string[]) {
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return { ...result, ms: Date.now() - started };
}

describe('building only when a source changed', () => {
  it('builds the first time, then runs the entry without tsc until a source changes', () => {
    layout();
    const first = run('scripts/dev-run.mjs', 'dev/hello.js', 'a');
    expect(first.stderr).toContain('Building (no build yet)');
    expect(first.stdout).toBe('hello a\n');

    const current = run('scripts/dev-run.mjs', 'dev/hello.js', 'b');
    expect(current.stderr).toBe('');
    expect(current.stdout).toBe('hello b\n');
    expect(current.ms).toBeLessThan(1000);

    const later = (Date.now() + 5000) / 1000;
    writeFileSync(join(root, 'dev/hello.ts'), "console.log('changed');\n");
    utimesSync(join(root, 'dev/hello.ts'), later, later);
    const changed = run('scripts/dev-run.mjs', 'dev/hello.js');
    expect(changed.stderr).toContain('Building (dev/ changed)');
    expect(changed.stdout).toBe('changed\n');
  });

  it('the repository build is current once npm test has built it', () => {
    const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
      cwd: REPOSITORY,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });
});
