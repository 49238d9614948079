/**
 * The app process of `npm start` without Core Tools: loads the Functions entry point exactly
 * as the host would (settings first), then serves it with the local host.
 */
import { describeError } from '../shared/errors.js';
import { HOME_PAGE } from './home-page.js';
import { startLocalHost } from './host.js';

async function main(): Promise<void> {
  let definitions;
  // Outside the Functions host @azure/functions warns once per registration that it runs in
  // "test mode"; here that is expected (this host serves the registrations), so say it once.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('test mode')) warn(...args);
  };
  try {
    ({ functionDefinitions: definitions } = await import('../functions/app.js'));
  } catch (error) {
    console.error(`Start-up stopped. ${describeError(error)}`);
    process.exit(1);
  } finally {
    console.warn = warn;
  }
  const port = Number(process.env.PORT ?? 7071);
  const host = await startLocalHost({
    definitions,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    homePage: HOME_PAGE,
  });
  console.log(`Functions host (local stand-in) listening on ${host.url}/api`);
  const stop = () => {
    void host.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
