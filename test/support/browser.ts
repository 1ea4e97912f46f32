import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Debian's chromium, headless, driven by playwright-core (never `playwright install`): the flags
 * keep it off the network but for the pages under test, and each run gets a new empty profile.
 */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  /** A new tab; every Content-Security-Policy violation it reports is collected in `cspViolations`. */
  newPage(): Promise<Page>;
  cspViolations: string[];
  close(): Promise<void>;
}

export async function startBrowser(options: { locale: string }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true, locale: options.locale, viewport: { width: 390, height: 844 } });
  const cspViolations: string[] = [];
  return {
    context,
    cspViolations,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.x A/AA rules (and best practices) on the page as it is now; the violations, by rule, impact and target. */
export async function accessibilityViolations(page: Page): Promise<Array<{ id: string; impact: string | null; targets: string[] }>> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays as it is.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
      .then((result) => result.violations.map((violation) => ({ id: violation.id, impact: violation.impact ?? null, targets: violation.nodes.map((node) => JSON.stringify(node.target)) })))
  `);
  return violations as Array<{ id: string; impact: string | null; targets: string[] }>;
}
