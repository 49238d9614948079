import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const localSettingsSchema = z.object({
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/**
 * The `Values` of local.settings.json, as `func start` reads them. The process environment
 * wins over the file, so a one-off `FOO=bar npm start` works as users expect.
 */
export function readLocalSettings(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const parsed = localSettingsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `local.settings.json: "Values" must be an object of strings (${parsed.error.message})`,
    );
  }
  return Object.fromEntries(
    Object.entries(parsed.data.Values).map(([name, value]) => [name, String(value)]),
  );
}
