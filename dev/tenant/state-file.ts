/**
 * A tenant's directory kept on disk, so that what an operator changed survives a restart: read
 * when the tenant starts (if present) and rewritten after every admin change. Each write goes to
 * a temporary file renamed over the old one, so a crash mid-write leaves the previous state.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadTenantFile, type ParsedTenantData } from './model.js';
import type { TenantAdmin } from './simulated-tenant.js';

export function readStateFile(path: string): ParsedTenantData | undefined {
  return existsSync(path) ? loadTenantFile(path) : undefined;
}

export function writeStateFile(path: string, data: ParsedTenantData): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(temporary, path);
}

/** The in-process admin API, saving after each change (reads are not changes). */
export function writingThrough(admin: TenantAdmin, save: () => void): TenantAdmin {
  const wrapped = { ...admin };
  for (const name of Object.keys(admin) as (keyof TenantAdmin)[]) {
    if (name === 'getState') continue;
    const call = Reflect.get(admin, name) as (...args: unknown[]) => unknown;
    (wrapped as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const result = Reflect.apply(call, admin, args);
      save();
      return result;
    };
  }
  return wrapped;
}
