/**
 * `npm run tenant -- <verb>`: changes to the running local stack's simulated tenant, as an
 * operator makes them in Entra ID (dev/tenant/cli/verbs.ts), plus `reset`, `generate` (writes a
 * tenant file) and `serve` (a tenant on its own). Every failure is one line in words.
 */
import { stackTenantClient } from './cli/admin-client.js';
import { CliError } from './cli/cli-error.js';
import { generateCommand } from './cli/generate-command.js';
import { resetTenant } from './cli/reset.js';
import { VERBS } from './cli/verbs.js';

function usage(): string {
  const width = Math.max(...Object.values(VERBS).map((verb) => verb.usage.length), 40);
  const line = (left: string, right: string) => `  ${left.padEnd(width)}  ${right}`;
  return [
    'Usage: npm run tenant -- <verb> [arguments]',
    '',
    "The running local stack's simulated tenant (start it with npm start):",
    ...Object.values(VERBS).map((verb) => line(verb.usage, verb.about)),
    line('reset', 'starts the tenant over from its seed (dev/tenants/sample.json), running or not'),
    line('page', "prints the tenant's admin page address (the same changes in a browser)"),
    '',
    'Without the stack:',
    line(
      `generate '<options JSON>' --out FILE`,
      'writes a generated tenant file, e.g. {"seed":1,"users":500,"groups":50}',
    ),
    line(
      'serve [--tenant FILE] [--port N] ...',
      'runs a tenant on its own, in memory (serve --help)',
    ),
    '',
    'Groups are found by id or name, users by sign-in name, mail, name or id; case does not matter.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const [verb, ...args] = argv;
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    console.log(usage());
    return;
  }
  // `npm run tenant -- --tenant FILE --port N` started a tenant before there were verbs.
  if (verb === 'serve' || verb.startsWith('--')) {
    // Loaded only here: the whole tenant server is most of this CLI's start-up time.
    const { serveCommand } = await import('./cli/serve.js');
    await serveCommand(verb === 'serve' ? args : argv);
    return;
  }
  if (verb === 'generate') {
    console.log(generateCommand(args));
    return;
  }
  if (verb === 'reset') {
    console.log(await resetTenant(args));
    return;
  }
  if (verb === 'page') {
    console.log(`${stackTenantClient().url}/_admin/`);
    return;
  }
  const command = VERBS[verb];
  if (command === undefined)
    throw new CliError(
      `There is no verb "${verb}". Run \`npm run tenant -- help\` for the list.`,
      2,
    );
  console.log(await command.run(stackTenantClient(), args));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`tenant: ${message.split('\n').join(' ')}`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
});
