import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Debian's Chromium (never a downloaded browser), or CHROMIUM_PATH. */
export const chromiumPath: string | undefined = [process.env.CHROMIUM_PATH, ...CANDIDATES].find(
  (path): path is string => path !== undefined && path !== '' && existsSync(path),
);

/**
 * Browser tests run wherever Chromium is installed and are required in CI, which installs it;
 * on a workstation without it they are skipped with a message rather than failing npm test.
 */
export const skipBrowserTests = chromiumPath === undefined && process.env.CI !== 'true';
if (skipBrowserTests) {
  console.warn(
    'Browser tests skipped: no Chromium found. Install it (apt-get install chromium) or set CHROMIUM_PATH.',
  );
}

export function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) {
    throw new Error('No Chromium found: apt-get install chromium, or set CHROMIUM_PATH');
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root needs --no-sandbox; the rest keeps Chromium off the (closed) network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
