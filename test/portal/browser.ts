// Shared by the portal's browser tests: Chromium via playwright-core (Debian's /usr/bin/chromium),
// sign-in through Lapis's own page, an axe-core scan, and screenshots kept under test-artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PORTAL_DIST } from '../../src/portal/index.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { CHROMIUM, NO_CHROMIUM } from '../identity/interactive-support.ts';
import { scrubAzureEnv } from '../identity/support.ts';

/** Why the browser tests cannot run here, or undefined when they can. */
export const PORTAL_SKIP = NO_CHROMIUM ?? (existsSync(join(PORTAL_DIST, 'index.html')) ? undefined : 'portal/dist is missing: run `npm run build:portal` (npm install runs it)');

export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'portal');

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A fresh browser profile that accepts Lapis's certificate (its CA is trusted by this process, not by Chromium). */
export async function newContext(browser: Browser, origin: string): Promise<BrowserContext> {
  // Reduced motion: Fluent UI then skips its colour transitions, so axe never measures a button caught
  // half-way between two colours (a contrast failure that depends on timing).
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  return context;
}

/** Opens the portal and signs in on Lapis's sign-in page; resolves when the portal shows the account. */
export async function signIn(page: Page, portalUrl: string, user: { userPrincipalName: string; password: string }): Promise<void> {
  await page.goto(portalUrl);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.fill('#login', user.userPrincipalName);
  await page.fill('#passwd', user.password);
  await page.click('#idSIButton9');
  await page.waitForURL((u) => u.href.startsWith(portalUrl), { timeout: 30_000 });
  await page.getByTestId('account').filter({ hasText: user.userPrincipalName }).waitFor({ timeout: 30_000 });
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Waits until every finite animation and CSS transition on the page has ended, then two frames. Even
 * with reduced motion, Fluent's 0.01 ms transitions start from the old colours: a button just enabled
 * (disabled grey → primary blue) read in the same frame shows white on grey, which axe reports as a
 * contrast failure. A loaded CI machine made that frame last long enough to be caught.
 */
async function settled(page: Page): Promise<void> {
  // A string: the tests' TypeScript has no DOM types.
  await page.evaluate(`(async () => {
    const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => undefined)));
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  })()`);
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  await settled(page);
  // Fluent UI's focus manager (Tabster) places aria-hidden <i tabindex=0 data-tabster-dummy> guards
  // around tab lists and dialogs on purpose: they hand focus on, and axe cannot tell them from content.
  const result = await new AxeBuilder({ page }).exclude('[data-tabster-dummy]').analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  // The message carries each node's markup and axe's reason, so a failure seen only in CI can be read.
  const describe = (n: (typeof bad)[number]['nodes'][number]) => `${n.target.join(' ')} ${n.html.slice(0, 200)} (${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300)})`;
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(describe).join(', ')}`), [], `accessibility of ${what}`);
}

/** One portal test file's world: Lapis and Chromium, started before its tests and stopped after them. */
export interface PortalWorld {
  readonly lapis: TestLapis;
  readonly browser: Browser;
}

/**
 * Registers the file's before/after hooks (nothing runs when the browser tests skip): the Azure
 * environment scrubbed, `setUp` (e.g. an event-handler app the config points at), Lapis started
 * with `options()` (read then, so it may use what `setUp` made), Chromium launched, then `ready`
 * (what needs the running Lapis); afterwards both closed. One hook does it all: a file's own
 * top-level `before` would not wait for this one.
 */
export function portalWorld(options: () => Parameters<typeof startTestLapis>[0], setUp?: () => Promise<void>, ready?: (lapis: TestLapis) => void): PortalWorld {
  let lapis: TestLapis | undefined;
  let browser: Browser | undefined;
  before(async () => {
    if (PORTAL_SKIP) return;
    scrubAzureEnv();
    await setUp?.();
    lapis = await startTestLapis(options());
    browser = await launch();
    ready?.(lapis);
  });
  after(async () => {
    await browser?.close();
    await lapis?.stop();
  });
  return {
    get lapis() { return lapis!; },
    get browser() { return browser!; },
  };
}
