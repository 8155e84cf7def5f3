import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { type SignedIn, waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type HitlProject, type ReviewsWorld, hitlProject, reviewsWorld } from '../reviews/support.js';
import { DESKTOP, ensureWebBuilt, launchBrowser, reviewCard, signInThroughForm, watchProblems } from './support.js';

/** A browser, two instances and agents on a 2-core machine shared with other work: minutes, not seconds, at worst. */
const SLOW = 180_000;

/** The inbox beyond one card at a time: edit & approve, withdrawn reviews, bulk decisions, two reviewers at once. */
describe('dashboard inbox: edits, withdrawals, bulk, two reviewers', () => {
  let world: ReviewsWorld;
  let project: HitlProject;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const agents: ArbiterClient[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    world = await reviewsWorld();
    project = await hitlProject(world.http1, world.admin.token, { reviewTimeoutSeconds: 600 });
    const edits = await world.http1.patch(`/api/projects/${project.id}`, { allow_edits: true }, { token: world.admin.token });
    expect(edits.status).toBe(200);
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await world?.close();
  });

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  async function openInbox(user: SignedIn, base = world.one.url): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, problems);
    await page.goto(`${base}/reviews`);
    await page.waitForURL(/\/sign-in\?next=/);
    await signInThroughForm(page, user.email, user.password);
    await page.waitForURL(/\/reviews$/);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    return page;
  }

  /** An SDK agent whose destructive call is held for review; resolves once the review exists. */
  async function heldCall(sessionId: string, cmd: string, options: { signal?: AbortSignal } = {}) {
    let reviewId: string | undefined;
    const agent = await ArbiterClient.connect({ url: world.one.wsUrl, apiKey: project.key, sessionId, onPending: (_event, review) => (reviewId = review) });
    agents.push(agent);
    const verdict = agent.decide({ ...DESTRUCTIVE, input: { ...DESTRUCTIVE.input, cmd } }, { timeoutMs: 90_000, ...options });
    return { verdict, reviewId: await waitFor('the pending frame', async () => reviewId, 10_000) };
  }

  it('edit & approve checks the JSON, then hands the agent the edited input with the note as its reason', async () => {
    const page = await openInbox(world.reviewer);
    const { verdict, reviewId } = await heldCall('edit-approve', 'rm -rf /srv/everything');
    const card = reviewCard(page, 'rm -rf /srv/everything');
    await card.getByRole('button', { name: 'Edit & approve' }).click();
    const dialog = page.getByRole('dialog');
    const editor = dialog.getByLabel('Input (JSON)');
    expect(JSON.parse(await editor.inputValue())).toEqual({ ...DESTRUCTIVE.input, cmd: 'rm -rf /srv/everything' });

    await editor.fill('{"cmd": "rm -rf /srv/everything/tmp", ');
    await dialog.getByRole('button', { name: 'Approve edited input' }).click();
    await dialog.getByText(/Not valid JSON/).waitFor();
    expect((await world.http1.get(`/api/reviews/${reviewId}`, { token: world.admin.token })).body.status).toBe('pending');

    await editor.fill('{"cmd": "rm -rf /srv/everything/tmp", "cwd": "/srv"}');
    await dialog.getByLabel('Note').fill('only the tmp folder');
    await dialog.getByRole('button', { name: 'Approve edited input' }).click();
    const got = await verdict;
    expect(got).toMatchObject({ decision: 'allow', source: 'review', review_id: reviewId, edited: true, input: { cmd: 'rm -rf /srv/everything/tmp', cwd: '/srv' } });
    expect(got.reason).toContain('only the tmp folder');
    await card.waitFor({ state: 'detached' });
  }, SLOW);

  it('a review the agent withdraws leaves the open inbox saying so', async () => {
    const page = await openInbox(world.reviewer);
    const abort = new AbortController();
    const { verdict } = await heldCall('withdrawn', 'rm -rf /srv/withdrawn', { signal: abort.signal });
    const card = reviewCard(page, 'rm -rf /srv/withdrawn');
    await card.waitFor();
    abort.abort();
    await verdict.catch(() => undefined);
    await card.waitFor({ state: 'detached' });
    await page.getByRole('log', { name: 'Recently settled' }).getByText(/shell\.exec \(session withdrawn\) was withdrawn by the agent/).waitFor();
  }, SLOW);

  it('bulk approve of three selected reviews is one confirmation, three calls and three allows', async () => {
    const page = await openInbox(world.reviewer);
    const calls = [await heldCall('bulk-1', 'rm -rf /srv/bulk-1'), await heldCall('bulk-2', 'rm -rf /srv/bulk-2'), await heldCall('bulk-3', 'rm -rf /srv/bulk-3')];
    for (const n of [1, 2, 3]) await reviewCard(page, `rm -rf /srv/bulk-${n}`).getByRole('checkbox').check();
    await page.getByText('3 selected').waitFor();
    await page.getByRole('button', { name: 'Approve selected' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve 3 reviews?' });
    await dialog.getByRole('button', { name: 'Approve 3 reviews' }).click();
    const verdicts = await Promise.all(calls.map((c) => c.verdict));
    expect(verdicts.map((v) => [v.decision, v.source, v.review_id])).toEqual(calls.map((c) => ['allow', 'review', c.reviewId]));
    const results = page.getByRole('list', { name: 'Bulk decision results' });
    for (const n of [1, 2, 3]) await results.getByText(`shell.exec (session bulk-${n}): approved, the agent gets allow.`).waitFor();
  }, SLOW);

  it('select all, then one of them decided elsewhere first: the bulk result says who settled it', async () => {
    const page = await openInbox(world.admin);
    const first = await heldCall('all-1', 'rm -rf /srv/all-1');
    const second = await heldCall('all-2', 'rm -rf /srv/all-2');
    await reviewCard(page, 'rm -rf /srv/all-2').waitFor();
    await page.getByLabel('Select all').check();
    await page.getByRole('button', { name: 'Deny selected' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('not in bulk');
    // Someone on the other instance decides the first one while the confirmation is open.
    expect((await world.http2.post(`/api/reviews/${first.reviewId}/decision`, { decision: 'approve' }, { token: world.reviewer.token })).status).toBe(200);
    await reviewCard(page, 'rm -rf /srv/all-1').waitFor({ state: 'detached' });
    await dialog.getByRole('button', { name: 'Deny 2 reviews' }).click();
    expect((await second.verdict).decision).toBe('block');
    expect((await first.verdict).decision).toBe('allow');
    const results = page.getByRole('list', { name: 'Bulk decision results' });
    await results.getByText('shell.exec (session all-2): denied, the agent gets block.').waitFor();
    await results.getByText(`shell.exec (session all-1): already settled (approved by ${world.reviewer.email}).`).waitFor();
  }, SLOW);

  it('notifications are off by default; switched on, a review that arrives while the tab is hidden raises one', async () => {
    const page = await openInbox(world.reviewer);
    await page.context().grantPermissions(['notifications']);
    // What the page sends to the system, and a tab the person has left (headless Chromium's tab is always visible).
    await page.evaluate(() => {
      const g = globalThis as unknown as { shown: { title: string; body: string }[]; Notification: unknown; document: object };
      g.shown = [];
      const Real = g.Notification as { permission: string };
      class Recording {
        static get permission() {
          return Real.permission;
        }
        static requestPermission() {
          return Promise.resolve(Real.permission);
        }
        onclick: unknown = null;
        constructor(title: string, options: { body: string }) {
          g.shown.push({ title, body: options.body });
        }
      }
      g.Notification = Recording;
      Object.defineProperty(g.document, 'visibilityState', { get: () => 'hidden' });
    });
    const toggle = page.getByRole('switch', { name: 'Notify me when the tab is hidden' });
    expect(await toggle.isChecked()).toBe(false);
    await heldCall('notify-off', 'rm -rf /srv/notify-off');
    await reviewCard(page, 'rm -rf /srv/notify-off').waitFor();
    await toggle.check();
    await heldCall('notify-on', 'rm -rf /srv/notify-on');
    await reviewCard(page, 'rm -rf /srv/notify-on').waitFor();
    const shown = await page.evaluate(() => (globalThis as unknown as { shown: { title: string; body: string }[] }).shown);
    expect(shown).toEqual([{ title: 'Arbiter: a review waits', body: 'shell.exec (session notify-on): destructive command' }]);
  }, SLOW);

  it('two reviewers on two instances: one approves in the browser, the other sees the card leave with their name', async () => {
    const [watcher, decider] = await Promise.all([openInbox(world.admin, world.one.url), openInbox(world.reviewer, world.two.url)]);
    const { verdict, reviewId } = await heldCall('two-reviewers', 'rm -rf /srv/two-reviewers');
    const watched = reviewCard(watcher, 'rm -rf /srv/two-reviewers');
    await watched.waitFor();
    await reviewCard(decider, 'rm -rf /srv/two-reviewers').getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await verdict).toMatchObject({ decision: 'allow', source: 'review', review_id: reviewId });
    await watched.waitFor({ state: 'detached' });
    await watcher.getByRole('log', { name: 'Recently settled' }).getByText(`shell.exec (session two-reviewers) was approved by ${world.reviewer.email}.`).waitFor();
    await decider.getByRole('log', { name: 'Recently settled' }).getByText(/approved by you/).waitFor();
  }, SLOW);
});
