/**
 * The README's walkthrough as a newcomer follows it, in headless Chromium against the real
 * `npm start` (its own data folder and free ports): sign in, the tenant CLI's changes, the
 * console showing them, `npm run sync` keeping them, a restart losing nothing.
 * Screenshots go to test-artifacts/walkthrough/ (git-ignored); docs/images holds copies.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipBrowserTests } from '../support/browser.js';
import {
  startStack,
  sync,
  temporaryDataDir,
  tenant,
  type RunningStack,
} from '../support/local-stack.js';
import { S } from '../support/sample-tenant.js';

const ARTIFACTS = 'test-artifacts/walkthrough';
const EVALS = 'Production LLM Evals Group';
const PROD = 'Default MishikaLLM Prod Team';
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const PHONE = { width: 390, height: 844 };

const dataDir = temporaryDataDir();
let stack: RunningStack;
let browser: Browser | undefined;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack(dataDir);
  if (!skipBrowserTests) browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack.stop();
});

/** Opens the console in a fresh browser, signs in as `name` on the tenant's page. */
async function signIn(name: string): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: PHONE,
    bypassCSP: true,
  });
  const page = await context.newPage();
  await page.goto(`${stack.record.functions.url}/api/console`);
  await page.getByRole('link', { name: new RegExp(name) }).click();
  await page.waitForURL(/\/api\/console$/);
  return page;
}

async function myTeams(page: Page): Promise<string[]> {
  return page.locator('tbody tr').allTextContents();
}

async function done(page: Page) {
  await page.context().close();
}

describe.skipIf(skipBrowserTests)('the walkthrough, in a browser against npm start', () => {
  it('1. a member of Production LLM Evals Group signs in and sees its team, id = group id', async () => {
    const page = await signIn('Ben Okafor');
    const rows = await myTeams(page);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(EVALS);
    expect(rows[0]).toContain(S.evals);
    await page.addScriptTag({ content: AXE_SOURCE });
    const serious = await page.evaluate<unknown[]>(
      `axe.run(document).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id))`,
    );
    expect(serious).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/1-ben-my-teams.png` });
    await done(page);
  });

  it('2. a user added to the group with the tenant CLI signs in and sees it', async () => {
    const added = await tenant(
      dataDir,
      'add-member',
      EVALS,
      'elif.demir@mishikallm.onmicrosoft.com',
    );
    expect(added.code, added.stderr).toBe(0);
    const page = await signIn('Elif Demir');
    const rows = await myTeams(page);
    expect(rows.some((row) => row.includes(EVALS) && row.includes(S.evals))).toBe(true);
    await done(page);
  });

  it('3. a newly assigned group becomes a team with default_team_params: 100 / 30d / gpt-3.5-turbo', async () => {
    const assigned = await tenant(dataDir, 'assign', PROD);
    expect(assigned.code, assigned.stderr).toBe(0);
    // Sign-ins share one assignments listing for up to 5 s (ASSIGNED_GROUPS_CACHE_SECONDS), and
    // Elif signed in a moment ago: as a person would, come back after that window.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const page = await signIn('Elif Demir');
    const prod = (await myTeams(page)).find((row) => row.includes(PROD));
    expect(prod).toBeDefined();
    expect(prod).toContain(S.prodTeam);
    expect(prod).toMatch(/100/);
    expect(prod).toContain('30d');
    expect(prod).toContain('gpt-3.5-turbo');
    await page.screenshot({ path: `${ARTIFACTS}/3-elif-my-teams.png` });
    await done(page);
  });

  it('npm run sync keeps all of it (nothing archived or removed), and a second run changes nothing', async () => {
    const first = await sync(dataDir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/archived 0/);
    expect(first.stdout).toMatch(/removed 0/);
    const second = await sync(dataDir);
    expect(second.stdout).toMatch(/table writes 0/);
  });

  it('a restart loses nothing: the same sign-in sees the same teams', async () => {
    await stack.stop();
    stack = await startStack(dataDir);
    const page = await signIn('Elif Demir');
    const rows = await myTeams(page);
    expect(rows.some((row) => row.includes(EVALS))).toBe(true);
    expect(rows.some((row) => row.includes(PROD))).toBe(true);
    await done(page);
  }, 120_000);

  it('an admin sees every team; a member only theirs', async () => {
    const admin = await signIn('Ava Patel');
    await admin.getByRole('link', { name: 'All teams' }).click();
    const all = await admin.locator('tbody tr').allTextContents();
    expect(all.some((row) => row.includes(EVALS))).toBe(true);
    expect(all.some((row) => row.includes(PROD))).toBe(true);
    await admin.screenshot({ path: `${ARTIFACTS}/admin-all-teams.png` });
    await done(admin);

    const member = await signIn('Ben Okafor');
    expect(await member.getByRole('link', { name: 'All teams' }).count()).toBe(0);
    expect(await myTeams(member)).toHaveLength(1);
    const forbidden = await member.goto(`${stack.record.functions.url}/api/console/teams`);
    expect(forbidden?.status()).toBe(403);
    await done(member);
  });
});
