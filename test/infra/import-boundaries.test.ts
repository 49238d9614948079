/**
 * The import boundaries of DESIGN.md are ESLint rules (eslint.config.js); these cases show each
 * rule refuses what it should and lets the rest through, with the repository's own config.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './arm.js';

const eslint = new ESLint({ cwd: repoRoot });

async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((message) => message.message);
}

describe('the import boundaries', () => {
  it('keep shared/ free of functions/, dev/, bench/, cli/ and test/', async () => {
    for (const target of [
      'functions/index',
      'dev/host',
      'bench/reconcile',
      'cli/sync',
      'test/support/invoke',
    ]) {
      const errors = await boundaryErrors('shared/health.ts', `import '../${target}.js';`);
      expect(errors, target).toHaveLength(1);
    }
    expect(await boundaryErrors('shared/health.ts', "import './errors.js';")).toEqual([]);
  }, 60_000);

  it('let the planner take types from store/ and graph/, never values', async () => {
    const planner = 'shared/sync/planner.ts';
    expect(
      await boundaryErrors(planner, "import { createRepository } from '../store/index.js';"),
    ).toHaveLength(1);
    expect(
      await boundaryErrors(planner, "import { createDirectoryReader } from '../graph/index.js';"),
    ).toHaveLength(1);
    expect(
      await boundaryErrors(planner, "import type { Repository } from '../store/index.js';"),
    ).toEqual([]);
    // The engine is where I/O is wired: it may.
    expect(
      await boundaryErrors(
        'shared/sync/engine.ts',
        "import { createRepository } from '../store/index.js';",
      ),
    ).toEqual([]);
  }, 60_000);

  it('let functions/ use shared/ only through its public modules', async () => {
    const handler = 'functions/sync-me.ts';
    expect(
      await boundaryErrors(handler, "import { planSync } from '../shared/sync/planner.js';"),
    ).toHaveLength(1);
    expect(
      await boundaryErrors(handler, "import { syncSignedInUser } from '../shared/sync/index.js';"),
    ).toEqual([]);
    expect(
      await boundaryErrors(handler, "import { getServices } from '../shared/services.js';"),
    ).toEqual([]);
  }, 60_000);
});
