import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { projectRoot } from '../../src/infra/database/project-root.js';

/**
 * Builds web/ unless web/dist is up to date (a content hash of web/'s sources decides, so an unchanged app costs a
 * moment): `npm test` runs before `npm run build` in CI, and the dashboard's tests need the app the server serves.
 */
export function ensureWebBuilt(): void {
  execFileSync(process.execPath, [path.join(projectRoot(), 'web', 'scripts', 'build-if-changed.mjs')], { stdio: 'pipe' });
}

/** Debian's chromium (`apt-get install -y chromium`), headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** Script errors and failed loads a page reports (an expected 401 while signed out aside). */
export function watchProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 40[139]/.test(msg.text())) problems.push(`${page.url()}: ${msg.text()}`);
  });
}

/** Signs in through the form, as a person would. */
export async function signInThroughForm(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The pending review cards of the inbox whose text contains `text`. */
export function reviewCard(page: Page, text: string) {
  return page.getByRole('feed', { name: 'Pending reviews' }).getByRole('article').filter({ hasText: text });
}
