/**
 * The console in headless Chromium, signed in by clicking through the simulated tenant's
 * sign-in page: what a member and an admin see, and axe-core's check of every console page at
 * phone (390 px) and desktop width. Screenshots go to test-artifacts/ (git-ignored).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../shared/sync/run-records.js';
import { launchChromium, skipBrowserTests } from '../support/browser.js';
import { BEN, EVALS_GROUP } from '../auth/tenant.js';
import { SCRIPT_TEAM_ID, useConsoleStack } from './console-fixture.js';

const ARTIFACTS = 'test-artifacts/console';
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const WIDTHS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

const stack = useConsoleStack();
let browser: Browser | undefined;
const axeResults: Record<string, unknown> = {};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!skipBrowserTests) browser = await launchChromium();
  const startedAt = new Date();
  await stack.services.repository.writeRun({
    runId: newRunId(startedAt),
    trigger: 'timer',
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    outcome: 'held',
    holdReason:
      '1 membership removal(s) exceed MAX_MEMBERSHIP_REMOVALS_PER_RUN (0): every removal and archive is held; additions applied',
    held: [
      {
        kind: 'membership-removed',
        teamId: EVALS_GROUP,
        userId: BEN,
        reason: 'no longer a member of the group',
      },
    ],
    incompleteGroups: [],
  });
});
afterAll(async () => {
  writeFileSync(`${ARTIFACTS}/axe-results.json`, `${JSON.stringify(axeResults, null, 2)}\n`);
  await browser?.close();
});

async function signedInContext(name: string, viewport: { width: number; height: number }) {
  if (browser === undefined) throw new Error('no browser');
  // axe is injected as a script, which the console's CSP (rightly) refuses: bypass it here only.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${stack.host.url}/api/console`);
  await page.getByRole('link', { name: new RegExp(name) }).click();
  await page.waitForURL(/\/api\/console$/);
  return { context, page };
}

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

async function axeViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  return await page.evaluate<Violation[]>(
    `axe.run(document).then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`,
  );
}

async function checkPage(page: Page, path: string, label: string) {
  const response = await page.goto(`${stack.host.url}${path}`);
  const violations = await axeViolations(page);
  axeResults[label] = { status: response?.status(), violations };
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect.soft(serious, `${label}: ${JSON.stringify(serious)}`).toEqual([]);
  // No horizontal scrolling at phone width: tables become cards.
  const overflow = await page.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  expect.soft(overflow, `${label} scrolls sideways`).toBeLessThanOrEqual(0);
}

async function closing(context: BrowserContext, body: () => Promise<void>) {
  try {
    await body();
  } finally {
    await context.close();
  }
}

describe.skipIf(skipBrowserTests)('the console in Chromium', () => {
  it('a member of Production LLM Evals Group sees that team, with id = group id, and only theirs', async () => {
    const { context, page } = await signedInContext('Ben Okafor', WIDTHS.phone);
    await closing(context, async () => {
      await expect.poll(() => page.locator('h1').textContent()).toBe('My teams');
      const row = page.locator('tbody tr', { hasText: 'Production LLM Evals Group' });
      expect(await row.count()).toBe(1);
      expect(await row.textContent()).toContain(EVALS_GROUP);
      expect(await page.locator('#signed-in-as').textContent()).toMatch(
        /Signed in as Ben Okafor \(ben\.okafor@/,
      );
      expect(await page.getByRole('link', { name: 'All teams' }).count()).toBe(0);
      await page.screenshot({ path: `${ARTIFACTS}/my-teams-phone.png` });
      const forbidden = await page.goto(`${stack.host.url}/api/console/teams`);
      expect(forbidden?.status()).toBe(403);
      await page.goto(`${stack.host.url}/api/console`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Signed out');
      const after = await page.goto(`${stack.host.url}/api/console`);
      expect(after?.url()).not.toMatch(/\/api\/console$/);
    });
  });

  it('an admin sees every team', async () => {
    const { context, page } = await signedInContext('Ava Patel', WIDTHS.desktop);
    await closing(context, async () => {
      await page.getByRole('link', { name: 'All teams' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('All teams');
      expect(await page.locator('tbody tr').count()).toBe(2);
      expect(await page.locator('tbody').textContent()).toContain(
        '<script>alert("owned")</script>',
      );
      await page.screenshot({ path: `${ARTIFACTS}/teams-desktop.png` });
      await page.getByRole('link', { name: 'Sync runs' }).click();
      await page.screenshot({ path: `${ARTIFACTS}/runs-desktop.png` });
      await page.getByRole('link', { name: 'Held removals' }).click();
      await page.screenshot({ path: `${ARTIFACTS}/held-desktop.png` });
    });
  });

  for (const [width, viewport] of Object.entries(WIDTHS)) {
    it(`every console page passes axe (no serious or critical violation) at ${width} width`, async () => {
      const admin = await signedInContext('Ava Patel', viewport);
      await closing(admin.context, async () => {
        const runs = await admin.page.goto(`${stack.host.url}/api/console/runs`);
        expect(runs?.status()).toBe(200);
        const runLink = await admin.page.locator('tbody a').first().getAttribute('href');
        for (const [path, label] of [
          ['/api/console', 'my teams'],
          ['/api/console/teams', 'all teams'],
          [`/api/console/teams/${EVALS_GROUP}`, 'team members'],
          [`/api/console/teams/${SCRIPT_TEAM_ID}`, 'team without members'],
          ['/api/console/users', 'users'],
          ['/api/console/runs', 'runs'],
          [runLink ?? '/api/console/runs', 'run changes'],
          ['/api/console/held', 'held removals'],
        ] as const) {
          await checkPage(admin.page, path, `${label} (${width})`);
        }
        await admin.page.screenshot({ path: `${ARTIFACTS}/held-${width}.png`, fullPage: true });
      });
      const member = await signedInContext('Ben Okafor', viewport);
      await closing(member.context, async () => {
        await checkPage(member.page, '/api/console', `member my teams (${width})`);
        await checkPage(member.page, '/api/console/users', `member forbidden (${width})`);
      });
    });
  }
});
