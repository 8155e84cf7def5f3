import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { type SignedIn, type SignedInApp, createProject, createUser, signedInApp, waitFor } from '../support/fixtures.js';
import { WebhookReceiver } from '../reviews/support.js';
import { DESKTOP, ensureWebBuilt, launchBrowser, signInThroughForm, watchProblems } from './support.js';

/** A browser, a server and agents on a 2-core machine shared with other work: minutes, not seconds, at worst. */
const SLOW = 180_000;

/** The admin pages in Debian's chromium: API keys, webhooks, users and the audit log, and what a viewer sees of them. */
describe('dashboard admin pages in a browser', () => {
  let world: SignedInApp;
  let browser: Browser;
  let projectId = '';
  let admin: Page;
  const contexts: BrowserContext[] = [];
  const agents: ArbiterClient[] = [];
  const receivers: WebhookReceiver[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    world = await signedInApp();
    projectId = (await createProject(world.http, world.admin.token, { name: 'billing-agent' })).id;
    browser = await launchBrowser();
    admin = await signedInPage(world.admin);
  }, SLOW);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(receivers.map((r) => r.close()));
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await world?.close();
  });

  afterEach(() => {
    // Emptied as it is checked, so a test is blamed only for its own page errors.
    expect(problems.splice(0)).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, problems);
    return page;
  }

  async function signedInPage(user: { email: string; password: string }): Promise<Page> {
    const page = await newPage();
    await page.goto(`${world.instance.url}/projects`);
    await signInThroughForm(page, user.email, user.password);
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    return page;
  }

  it(
    'creates a key shown once; an SDK agent connects with it; revoking it in the UI closes the agent’s socket (4401)',
    async () => {
      await admin.goto(`${world.instance.url}/projects/${projectId}`);
      await admin.getByRole('link', { name: 'API keys' }).click();
      await admin.getByRole('heading', { name: 'API keys · billing-agent', level: 1 }).waitFor();
      await admin.getByLabel('Key name').fill('nightly-billing');
      await admin.getByRole('button', { name: 'Create key' }).click();

      const shown = admin.getByRole('alert').filter({ hasText: 'Copy the API key now' });
      await shown.waitFor();
      await shown.getByText('This is the only time the API key is shown').waitFor();
      await shown.getByRole('button', { name: 'Copy the API key' }).waitFor();
      const key = (await shown.getByLabel('API key').innerText()).trim();
      expect(key).toMatch(/^arb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      await shown.getByRole('button', { name: 'I have stored it' }).click();
      await shown.waitFor({ state: 'detached' });
      expect(await admin.content()).not.toContain(key);

      const keys = admin.getByRole('region', { name: 'API keys' });
      const row = keys.getByRole('row').filter({ hasText: 'nightly-billing' });
      await row.getByText(`arb_${key.split('_')[1]}_…`).waitFor();
      await row.getByText(world.admin.email).waitFor();
      await row.getByText('never').waitFor();

      const agent = await ArbiterClient.connect({ url: world.instance.wsUrl, apiKey: key, sessionId: 'nightly-1' });
      agents.push(agent);
      expect((await agent.decide({ kind: 'tool', tool: 'invoice.read', input: { id: 7 } })).decision).toBe('allow');

      // The key page reads live connections when asked (they are not on the event feed).
      await waitFor(
        'the live connection on the key page',
        async () => {
          await admin.getByRole('button', { name: 'Refresh' }).click();
          return (await row.getByRole('cell').nth(5).innerText()).trim() === '1' ? true : undefined;
        },
        15_000,
        500,
      );
      expect(await row.getByRole('cell').nth(4).innerText()).not.toBe('never');

      await row.getByRole('button', { name: 'Revoke nightly-billing' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Revoke nightly-billing?' });
      await dialog.getByText('disconnected at once').waitFor();
      await dialog.getByRole('button', { name: 'Revoke key' }).click();
      await dialog.waitFor({ state: 'detached' });
      await row.getByText('Revoked').waitFor();

      // Closed with 4401: the SDK stops for good, with the reason it gives that code, instead of reconnecting.
      await waitFor('the agent disconnected', async () => (agent.connected ? undefined : true), 10_000);
      const after = await agent.decide({ kind: 'tool', tool: 'invoice.read', input: { id: 8 } });
      expect(after).toMatchObject({ decision: 'block', source: 'client_error' });
      expect(after.reason).toContain('the API key is missing, invalid or revoked');
    },
    SLOW,
  );

  it(
    'adds a webhook (secret shown once) and sends a test event that the receiver gets, signed, and the delivery log shows',
    async () => {
      const receiver = await WebhookReceiver.start(() => 200);
      receivers.push(receiver);
      await admin.goto(`${world.instance.url}/projects/${projectId}`);
      await admin.getByRole('link', { name: 'Webhooks' }).click();
      await admin.getByRole('heading', { name: 'Webhooks · billing-agent', level: 1 }).waitFor();
      await admin.getByLabel('URL').fill(receiver.url);
      await admin.getByRole('button', { name: 'Add webhook' }).click();

      const shown = admin.getByRole('alert').filter({ hasText: 'Copy the signing secret now' });
      const secret = (await shown.getByLabel('signing secret').innerText()).trim();
      expect(secret).toMatch(/^whsec_/);
      await shown.getByRole('button', { name: 'I have stored it' }).click();

      const hook = admin.getByRole('region', { name: `Webhook ${receiver.url}` });
      await hook.getByText('No deliveries yet.').waitFor();
      await hook.getByRole('button', { name: `Send a test event to ${receiver.url}` }).click();
      const log = hook.getByRole('region', { name: `Delivery log of ${receiver.url}` });
      const delivered = log.getByRole('row').filter({ hasText: 'webhook.test' }).filter({ hasText: 'delivered' });
      await delivered.waitFor({ timeout: 20_000 });

      expect(receiver.calls).toHaveLength(1);
      const call = receiver.calls[0];
      expect(call.headers['x-arbiter-event']).toBe('webhook.test');
      const timestamp = String(call.headers['x-arbiter-timestamp']);
      expect(call.headers['x-arbiter-signature']).toBe(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${call.body}`).digest('hex')}`);
    },
    SLOW,
  );

  it(
    'creates a user with a generated password, who must change it at first sign-in; refusals are said plainly',
    async () => {
      await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
      await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await admin.getByLabel('Email').fill('new.reviewer@arbiter.test');
      await admin.getByLabel('Role', { exact: true }).selectOption('reviewer');
      await admin.getByRole('button', { name: 'Create user' }).click();
      const shown = admin.getByRole('alert').filter({ hasText: 'Copy the initial password for new.reviewer@arbiter.test now' });
      const password = (await shown.getByLabel('initial password for new.reviewer@arbiter.test').innerText()).trim();
      await shown.getByRole('button', { name: 'I have stored it' }).click();
      const row = admin.getByRole('region', { name: 'Users' }).getByRole('row').filter({ hasText: 'new.reviewer@arbiter.test' });
      await row.getByText('Must change password').waitFor();

      const person = await newPage();
      await person.goto(`${world.instance.url}/projects`);
      await signInThroughForm(person, 'new.reviewer@arbiter.test', password);
      await person.getByRole('heading', { name: 'Change your password' }).waitFor();

      // An admin cannot disable themselves: the API's 409 is shown as it is said.
      const me = admin.getByRole('region', { name: 'Users' }).getByRole('row').filter({ hasText: `${world.admin.email} (you)` });
      await me.getByRole('button', { name: `Disable ${world.admin.email}` }).click();
      await admin.getByRole('alert').filter({ hasText: 'Not changed' }).getByText('admins cannot disable or demote themselves').waitFor();

      // Role changes take effect.
      await row.getByLabel('Role of new.reviewer@arbiter.test').selectOption('viewer');
      await waitFor('the role saved', async () => ((await world.http.get('/api/users', { token: world.admin.token })).body.items.find((u: { email: string }) => u.email === 'new.reviewer@arbiter.test')?.role === 'viewer' ? true : undefined), 10_000);
      await row.getByRole('button', { name: 'Disable new.reviewer@arbiter.test' }).click();
      await row.getByText('Disabled').waitFor();
    },
    SLOW,
  );

  it(
    'filters the audit log and exports it as CSV',
    async () => {
      await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      await admin.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await admin.getByLabel('Action').fill('api_key.*');
      await admin.getByLabel('Project').selectOption({ label: 'billing-agent' });
      await admin.getByRole('button', { name: 'Apply filters' }).click();
      const entries = admin.getByRole('region', { name: 'Audit entries' });
      await entries.getByRole('row').filter({ hasText: 'api_key.revoke' }).waitFor();
      await entries.getByRole('row').filter({ hasText: 'api_key.create' }).waitFor();
      expect(await entries.getByRole('row').count()).toBe(3);

      const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('link', { name: 'Export CSV' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^arbiter-audit-.*\.csv$/);
      const csv = await readFile((await download.path())!, 'utf8');
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe('id,at,actor_type,actor_id,action,target_type,target_id,request_id,details');
      expect(lines.slice(1).map((l) => l.split(',')[4])).toEqual(['api_key.revoke', 'api_key.create']);
    },
    SLOW,
  );

  it(
    'shows a viewer no admin controls, and the API refuses them',
    async () => {
      const viewer: SignedIn = await createUser(world.http, world.admin.token, 'viewer');
      const page = await signedInPage(viewer);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Projects' }).waitFor();
      expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      await page.goto(`${world.instance.url}/projects/${projectId}`);
      await page.getByRole('heading', { name: 'billing-agent', level: 1 }).waitFor();
      expect(await page.getByRole('link', { name: 'API keys' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
      for (const path of [`/projects/${projectId}/keys`, `/projects/${projectId}/webhooks`, '/users', '/audit']) {
        await page.goto(`${world.instance.url}${path}`);
        await page.getByText('Admins only').waitFor();
        expect(await page.getByRole('button').filter({ hasText: /Create|Revoke|Add webhook|Send a test event|Disable|Export/ }).count()).toBe(0);
      }
      for (const [method, path] of [
        ['GET', `/api/projects/${projectId}/api-keys`],
        ['POST', `/api/projects/${projectId}/api-keys`],
        ['GET', `/api/projects/${projectId}/webhooks`],
        ['GET', '/api/users'],
        ['GET', '/api/audit'],
        ['GET', '/api/audit/export?format=csv'],
      ]) {
        const res = await world.http.request(method, path, { token: viewer.token, ...(method === 'POST' ? { body: { name: 'x' } } : {}) });
        expect([path, res.status]).toEqual([path, 403]);
      }
    },
    SLOW,
  );
});
