import type { Browser } from 'playwright-core';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { TEST_ADMIN } from '../support/app.js';
import { DESKTOP, ensureWebBuilt, launchBrowser, signInThroughForm, watchProblems } from '../dashboard/support.js';
import { McpWorld, uniqueLabel } from './support.js';

/**
 * The inventory frame end to end without the gateway: the SDK's reportInventory against a real server answers the
 * tools its policy always blocks, and the session's page in the dashboard (Debian's chromium) lists the tools.
 */

let world: McpWorld;
let browser: Browser | undefined;
let client: ArbiterClient | undefined;

beforeAll(async () => {
  ensureWebBuilt();
  world = await McpWorld.create();
}, 300_000);
afterAll(async () => {
  await client?.close();
  await browser?.close();
  await world?.close();
});

it('reportInventory is answered with the always-blocked tools, and the session page lists the tools', async () => {
  const label = uniqueLabel('inventory');
  client = await ArbiterClient.connect({ url: world.url, apiKey: world.key, sessionId: label });
  const answer = await client.reportInventory({
    server: { name: 'github-server', version: '0.6.2' },
    tools: [
      { name: 'fx.delete_repo', description: 'Deletes a repository' },
      { name: 'fx.write_file', description: 'Writes a file' },
      { name: 'fx.echo' },
    ],
  });
  // delete_repo: a pattern-less block rule; write_file: blocked only under /etc (a pattern), so not always.
  expect(answer).toEqual({ always_blocked: ['fx.delete_repo'] });
  const session = await world.sessionByLabel(label);

  browser = await launchBrowser();
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  const problems: string[] = [];
  watchProblems(page, problems);
  await page.goto(`${world.url}/sessions/${session.id}`);
  await page.waitForURL(/\/sign-in\?next=/);
  await signInThroughForm(page, TEST_ADMIN.email, TEST_ADMIN.password);
  const tools = page.getByRole('region', { name: 'Tools' });
  await tools.getByText('github-server', { exact: false }).first().waitFor({ timeout: 30_000 });
  const table = page.getByRole('table', { name: 'Tools' });
  await expect(table.getByRole('row').count()).resolves.toBe(4);
  await table.getByRole('cell', { name: 'fx.delete_repo' }).waitFor();
  await table.getByRole('cell', { name: 'Deletes a repository' }).waitFor();
  expect(problems).toEqual([]);
}, 300_000);
