import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompiledTemplate, objectAt, repoRoot } from './arm.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe('the Node.js runtime', () => {
  it('is 22 in the template, its parameter file, .nvmrc and package.json engines alike', () => {
    const nodeVersion = objectAt(loadCompiledTemplate().json, 'parameters', 'nodeVersion');
    expect(nodeVersion.defaultValue).toBe('22');
    expect(nodeVersion.allowedValues).toContain('22');
    expect(read('infra/main.bicepparam')).toMatch(/^param nodeVersion = '22'$/m);

    const pinned = read('.nvmrc').trim();
    expect(pinned).toMatch(/^22\.\d+\.\d+$/);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines;
    expect(engines.node).toMatch(/^>=22\./);
  });

  it('is the major version the tests run on (node scripts/node22.mjs npm test gets it)', () => {
    const major = read('.nvmrc').trim().split('.')[0];
    expect(process.versions.node.split('.')[0], `tests run on Node ${process.version}`).toBe(major);
  });
});
