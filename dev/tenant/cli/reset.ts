/**
 * `reset`: the stack's tenant starts over from its seed (dev/tenants/sample.json unless
 * SIMULATED_TENANT names another file). A running tenant resets itself and writes its state
 * file; with none running, the state file is rewritten so the next `npm start` begins there.
 */
import { readConfiguredSettings } from '../../stack/configured-settings.js';
import { seedTenantFile, stackLocations } from '../../stack/locations.js';
import { readRunningStack } from '../../stack/stack-file.js';
import { shown } from '../../stack/banner.js';
import { loadTenantFile } from '../model.js';
import { writeStateFile } from '../state-file.js';
import { clientFor } from './admin-client.js';
import { CliError } from './cli-error.js';

export async function resetTenant(args: readonly string[]): Promise<string> {
  if (args.length > 0) throw new CliError('Usage: npm run tenant -- reset', 2);
  const locations = stackLocations();
  const stack = readRunningStack(locations.stackFile);
  if (stack?.tenant !== undefined && stack.tenant !== null) {
    await clientFor(stack.tenant.url, stack.tenant.caPath).call('POST', '/reset');
    return `Reset the running tenant to ${shown(stack.tenant.seedFile)} (saved in ${shown(stack.tenant.stateFile)}).`;
  }
  const seed = seedTenantFile(readConfiguredSettings(locations).settings);
  let data;
  try {
    data = loadTenantFile(seed);
  } catch (error) {
    throw new CliError(
      error instanceof Error ? error.message.split('\n').join(' ') : String(error),
    );
  }
  writeStateFile(locations.tenantStateFile, data);
  return `Reset ${shown(locations.tenantStateFile)} to ${shown(seed)}: the next \`npm start\` begins there.`;
}
