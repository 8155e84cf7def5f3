import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { type SignedInApp, createApiKey, createProject, createUser, signedInApp, waitFor } from '../support/fixtures.js';
import { AxeBuilder } from '../../web/node_modules/@axe-core/playwright/dist/index.mjs';
import { DESKTOP, PHONE, ensureWebBuilt, launchBrowser, reviewCard, signInThroughForm, watchProblems } from './support.js';

/** Where to save screenshots of the pages as they are checked (the README's come from here: npm run web:screenshots). */
const SCREENSHOTS = process.env.ARBITER_SCREENSHOTS;

/** axe-core's serious and critical findings on the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: page as never }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The sign-in page, the inbox with two pending reviews, the deny dialog and a review page, on a desktop and a phone. */
describe('dashboard accessibility', () => {
  let world: SignedInApp;
  let browser: Browser;
  const agents: ArbiterClient[] = [];
  const problems: string[] = [];
  let firstReview = '';
  let projectId = '';

  beforeAll(async () => {
    ensureWebBuilt();
    world = await signedInApp();
    const project = await createProject(world.http, world.admin.token, { name: 'payments-agent', mode: 'hitl', review_timeout_seconds: 900 });
    // Reviewers may edit: the cards offer Edit & approve, whose dialog is checked too.
    expect((await world.http.patch(`/api/projects/${project.id}`, { allow_edits: true }, { token: world.admin.token })).status).toBe(200);
    const rules = await world.http.put(
      `/api/projects/${project.id}/rules`,
      {
        default_action: 'allow',
        rules: [
          { kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive shell command' },
          { kind: 'tool', tool: 'payments.*', action: 'review', reason: 'moves money' },
        ],
      },
      { token: world.admin.token },
    );
    expect(rules.status).toBe(200);
    const key = await createApiKey(world.http, world.admin.token, project.id, 'ci-agent');
    const held: string[] = [];
    const hold = async (sessionId: string, agentId: string, tool: string, input: Record<string, unknown>, before: { tool: string; input: Record<string, unknown> }[] = []) => {
      const agent = await ArbiterClient.connect({ url: world.instance.wsUrl, apiKey: key.key, sessionId, agentId, onPending: (_e, review) => held.push(review) });
      agents.push(agent);
      // What the session did before it asked: the review page lists it.
      for (const earlier of before) expect((await agent.decide({ kind: 'tool', agent_id: agentId, ...earlier })).decision).toBe('allow');
      // Held for the whole suite: an SDK whose wait ends withdraws the review (protocol 1.1), and both viewports take minutes.
      void agent.decide({ kind: 'tool', tool, agent_id: agentId, input }, { timeoutMs: 900_000 });
      await waitFor(`${tool} held`, async () => (held.length > agents.length - 1 ? true : undefined), 10_000);
    };
    await hold('deploy-run-481', 'release-bot', 'shell.exec', { cmd: 'rm -rf /srv/releases/2026-11-29', cwd: '/srv', reason: 'free disk space before the deploy' }, [
      { tool: 'git.pull', input: { repo: 'release-tools', branch: 'main' } },
      { tool: 'shell.exec', input: { cmd: 'df -h /srv' } },
    ]);
    await hold('refund-batch-77', 'support-bot', 'payments.refund', {
      customer_id: 'cus_8f2k1',
      amount_eur: 1240.5,
      order: 'ORD-20931',
      note: 'Customer reports the parcel never arrived; carrier tracking shows it stuck in the depot for 19 days, and the customer has asked for a refund three times since, each time more urgently.',
    });
    firstReview = held[0];
    // For the admin pages: a webhook nobody answers (its delivery log shows a retry) and a second user.
    projectId = project.id;
    const hook = await world.http.post(`/api/projects/${project.id}/webhooks`, { url: 'http://127.0.0.1:9/arbiter', events: ['review.created'] }, { token: world.admin.token });
    expect((await world.http.post(`/api/projects/${project.id}/webhooks/${hook.body.id}/test`, undefined, { token: world.admin.token })).status).toBe(202);
    await createUser(world.http, world.admin.token, 'reviewer');
    browser = await launchBrowser();
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await browser?.close();
    await world?.close();
  });

  // axe-core takes 10-20 s a page on a busy 2-core machine: a test per viewport, with room for its five checks.
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`finds no serious or critical violation on the ${size}`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      watchProblems(page, problems);
      const check = async (what: string) => expect([what, await seriousViolations(page)]).toEqual([what, []]);
      const shot = async (name: string) => {
        if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size}.png`) });
      };
      try {
        await page.goto(`${world.instance.url}/reviews`);
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        await check('sign-in page');
        await shot('sign-in');

        await signInThroughForm(page, world.admin.email, world.admin.password);
        await reviewCard(page, 'shell.exec').getByText('rm -rf /srv/releases').waitFor();
        await reviewCard(page, 'payments.refund').getByText('Agent connected').waitFor();
        expect(await page.getByRole('feed', { name: 'Pending reviews' }).getByRole('article').count()).toBe(2);
        expect(await page.title()).toBe('(2) Reviews · Arbiter');
        await check('inbox');
        await shot('inbox');

        await reviewCard(page, 'payments.refund').getByRole('button', { name: 'Deny' }).click();
        await page.getByRole('dialog').getByLabel('Reason').waitFor();
        await check('deny dialog');
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });

        await reviewCard(page, 'payments.refund').getByRole('button', { name: 'Edit & approve' }).click();
        await page.getByRole('dialog').getByLabel('Input (JSON)').waitFor();
        await check('edit & approve dialog');
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });

        await page.getByLabel('Select all').check();
        await page.getByRole('button', { name: 'Deny selected' }).click();
        await page.getByRole('dialog', { name: 'Deny 2 reviews?' }).getByLabel('Reason').waitFor();
        await check('bulk confirmation');
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        await page.getByLabel('Select all').uncheck();

        await page.goto(`${world.instance.url}/reviews/${firstReview}`);
        await page.getByRole('article').getByText('rm -rf /srv/releases').waitFor();
        await page.getByRole('list', { name: 'Session transcript' }).getByText('git.pull').waitFor();
        await check('review page');
        await shot('review');

        await page.goto(`${world.instance.url}/sessions`);
        await page.getByRole('region', { name: 'Sessions list' }).getByRole('link', { name: 'deploy-run-481' }).click();
        await page.getByRole('list', { name: 'Transcript' }).getByText('git.pull').waitFor();
        await page.getByRole('button', { name: 'Create share link' }).click();
        await page.getByRole('textbox', { name: 'Share link' }).waitFor();
        await check('session page');
        await shot('session');
        await page.getByRole('region', { name: 'Share links of this session' }).getByRole('button', { name: 'View log' }).first().click();
        await page.getByRole('dialog', { name: 'Views of this link' }).getByText('Nobody has opened it yet.').waitFor();
        await check('share view log');
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        await page.goBack();
        await page.getByRole('region', { name: 'Sessions list' }).getByRole('link', { name: 'refund-batch-77' }).waitFor();
        await check('sessions page');
        await shot('sessions');

        await page.goto(`${world.instance.url}/overview`);
        await page.getByRole('region', { name: 'Events per hour by verdict' }).waitFor();
        await page.getByRole('region', { name: 'Most active agents' }).getByRole('table').waitFor();
        await check('overview page');
        await shot('overview');

        await page.goto(`${world.instance.url}/projects`);
        await page.getByRole('region', { name: 'Projects list' }).getByRole('link', { name: 'payments-agent', exact: true }).waitFor();
        await check('projects page');
        await page.getByRole('region', { name: 'Projects list' }).getByRole('link', { name: 'payments-agent', exact: true }).click();
        await page.getByRole('button', { name: 'Pause project' }).waitFor();
        await check('project page');
        await page.getByRole('link', { name: 'Rules, dry run and history' }).click();
        await page.getByRole('group', { name: 'Rule 2' }).waitFor();
        await page.getByRole('list', { name: 'Changes, newest first' }).getByText(world.admin.email, { exact: false }).waitFor();
        await page.getByRole('button', { name: 'Dry run on recent events only' }).click();
        await page.getByTestId('dry-run-tally').waitFor();
        await check('rules page');
        if (SCREENSHOTS) {
          // The README's shot shows a sample event's verdict beside the recent events' tally.
          await page.getByLabel('Sample tool').fill('payments.refund');
          await page.getByLabel('Sample input (JSON)').fill('{"customer_id": "cus_8f2k1", "amount_eur": 1240.5}');
          await page.getByRole('button', { name: 'Dry run with this sample' }).click();
          await page.getByTestId('dry-run-sample').waitFor();
          // Scrolled to the bottom (a full-page shot would paint the fixed header and navigation mid-page).
          await page.getByRole('list', { name: 'Changes, newest first' }).scrollIntoViewIfNeeded();
          await shot('rules');
        }

        await page.goto(`${world.instance.url}/change-password`);
        await page.getByLabel('Current password').waitFor();
        await check('change-password page');
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    }, 300_000);

    it(`finds no serious or critical violation on the admin pages on the ${size}`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      watchProblems(page, problems);
      const check = async (what: string) => expect([what, await seriousViolations(page)]).toEqual([what, []]);
      try {
        await page.goto(`${world.instance.url}/projects`);
        await signInThroughForm(page, world.admin.email, world.admin.password);
        await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();

        await page.goto(`${world.instance.url}/projects/${projectId}/keys`);
        await page.getByRole('region', { name: 'API keys' }).getByText('ci-agent').waitFor();
        await check('API keys page');
        await page.getByRole('button', { name: 'Revoke ci-agent' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).waitFor();
        await check('revoke dialog');
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });

        await page.goto(`${world.instance.url}/projects/${projectId}/webhooks`);
        await page.getByRole('region', { name: 'Delivery log of http://127.0.0.1:9/arbiter' }).getByText('webhook.test').waitFor();
        await check('webhooks page');

        await page.goto(`${world.instance.url}/users`);
        await page.getByRole('region', { name: 'Users' }).getByText(world.admin.email).waitFor();
        await check('users page');

        await page.goto(`${world.instance.url}/audit`);
        await page.getByRole('region', { name: 'Audit entries' }).getByText('webhook.test').waitFor();
        await check('audit log page');
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    }, 300_000);
  }
});
