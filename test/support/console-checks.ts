import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * What the browser tests check on every console view: an axe-core accessibility run (axe from
 * npm, evaluated in the page, so the page's content security policy stays in force), a
 * screenshot kept as a test artefact under test-artifacts/, and the browser console's errors.
 */

export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts');

const axeSource = fs.readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Serious and critical WCAG 2.x A/AA violations on the page as it is now. */
export async function accessibilityViolations(page: Page, options: { exclude?: string[]; disableRules?: string[] } = {}): Promise<AxeViolation[]> {
  await page.evaluate(await axeSource);
  return page.evaluate(
    async ({ exclude, disableRules }) => {
      const axe = (
        window as unknown as {
          axe: {
            run: (
              context: unknown,
              options: unknown,
            ) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }>;
          };
        }
      ).axe;
      const result = await axe.run(exclude.length > 0 ? { exclude: exclude.map((selector) => [selector]) } : document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        resultTypes: ['violations'],
        rules: Object.fromEntries(disableRules.map((rule) => [rule, { enabled: false }])),
      });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
    },
    { exclude: options.exclude ?? [], disableRules: options.disableRules ?? [] },
  );
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Collects the page's console errors and uncaught exceptions (CSP violations among them). */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}
