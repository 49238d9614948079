/**
 * `generate '<options JSON>' --out FILE`: writes a generated tenant file (generateTenant's
 * options, e.g. {"seed":1,"users":500,"groups":50}) and exits; it starts nothing.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateTenant, type GenerateTenantOptions } from '../generate.js';
import { parseTenantData } from '../model.js';
import { CliError } from './cli-error.js';

const USAGE = `Usage: npm run tenant -- generate '{"seed":1,"users":500,"groups":50}' --out FILE`;

export function generateCommand(args: readonly string[]): string {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { out: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}. ${USAGE}`, 2);
  }
  const { out } = parsed.values;
  const [json, ...extra] = parsed.positionals;
  if (out === undefined || json === undefined || extra.length > 0) throw new CliError(USAGE, 2);
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(json);
  } catch {
    throw new CliError(`The options are not valid JSON: ${json}. ${USAGE}`, 2);
  }
  if (typeof parsedJson !== 'object' || parsedJson === null || Array.isArray(parsedJson))
    throw new CliError(`The options must be a JSON object. ${USAGE}`, 2);
  const options = { seed: 1, ...parsedJson } as GenerateTenantOptions;
  if (!Number.isInteger(options.users) || !Number.isInteger(options.groups))
    throw new CliError(`The options need whole numbers "users" and "groups". ${USAGE}`, 2);
  let tenant;
  try {
    tenant = parseTenantData(generateTenant(options), 'generated tenant');
  } catch (error) {
    throw new CliError(
      error instanceof Error ? error.message.split('\n').join(' ') : String(error),
    );
  }
  writeFileSync(out, `${JSON.stringify(tenant, null, 2)}\n`);
  return `Wrote ${out}: ${tenant.users.length} users, ${tenant.groups.length} groups, ${tenant.assignments.length} assignments. Use it with SIMULATED_TENANT=${out} (then npm run tenant -- reset), or npm run tenant -- serve --tenant ${out}.`;
}
