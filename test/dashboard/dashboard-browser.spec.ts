import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { type SignedIn, createUser, waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type HitlProject, type ReviewsWorld, hitlProject, reviewsWorld } from '../reviews/support.js';
import { DESKTOP, ensureWebBuilt, launchBrowser, reviewCard, signInThroughForm, watchProblems } from './support.js';

/** A browser, two instances and agents on a 2-core machine shared with other work: minutes, not seconds, at worst. */
const SLOW = 180_000;

/** The dashboard in Debian's chromium against two real instances: sign-in, deep links and the live review inbox. */
describe('dashboard in a browser', () => {
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
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await world?.close();
  });

  afterEach(() => {
    // Emptied as it is checked, so a test is blamed only for its own page errors.
    expect(problems.splice(0)).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, problems);
    return page;
  }

  /** A signed-in page on the inbox of instance `base` (one by default). */
  async function openInbox(user: SignedIn, base = world.one.url): Promise<Page> {
    const page = await newPage();
    await page.goto(`${base}/reviews`);
    await page.waitForURL(/\/sign-in\?next=/);
    await signInThroughForm(page, user.email, user.password);
    await page.waitForURL(/\/reviews$/);
    await page.getByRole('heading', { name: 'Reviews', level: 1 }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    return page;
  }

  /** An SDK agent whose destructive call is held for review; resolves once the review exists. */
  async function heldCall(sessionId: string, cmd: string) {
    let reviewId: string | undefined;
    const agent = await ArbiterClient.connect({ url: world.one.wsUrl, apiKey: project.key, sessionId, onPending: (_event, review) => (reviewId = review) });
    agents.push(agent);
    const verdict = agent.decide({ ...DESTRUCTIVE, input: { ...DESTRUCTIVE.input, cmd } }, { timeoutMs: 60_000 });
    return { verdict, reviewId: await waitFor('the pending frame', async () => reviewId, 10_000) };
  }

  it('first sign-in forces the password change, then lands where the link pointed', async () => {
    const person = await createUser(world.http1, world.admin.token, 'reviewer');
    await world.db.pool.query('UPDATE users SET must_change_password = true WHERE id = $1', [person.id]);
    const page = await newPage();
    await page.goto(`${world.one.url}/reviews`);
    await signInThroughForm(page, person.email, person.password);
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/change-password');
    const fresh = 'a brand new passphrase 42';
    await page.getByLabel('Current password').fill(person.password);
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Repeat the new password').fill(fresh);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(/\/reviews$/);
    await page.getByRole('heading', { name: 'Reviews', level: 1 }).waitFor();
    const me = await world.db.pool.query('SELECT must_change_password FROM users WHERE id = $1', [person.id]);
    expect(me.rows[0].must_change_password).toBe(false);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await page.request.get(`${world.one.url}/api/auth/me`)).status()).toBe(401);
  }, SLOW);

  it("a review's link opened signed out lands on that review after sign-in", async () => {
    const { reviewId } = await heldCall('deep-link', 'rm -rf /srv/deep-link');
    const page = await newPage();
    await page.goto(`${world.two.url}/reviews/${reviewId}`);
    await page.waitForURL(/\/sign-in\?next=/);
    await signInThroughForm(page, world.reviewer.email, world.reviewer.password);
    await page.waitForURL(new RegExp(`/reviews/${reviewId}$`));
    const card = page.getByRole('article').filter({ hasText: 'shell.exec' });
    await card.getByText('rm -rf /srv/deep-link').waitFor();
    await card.getByRole('button', { name: 'Approve' }).waitFor();
  }, SLOW);

  it("an agent's held call appears in an open inbox without reload, and pressing a delivers allow", async () => {
    const page = await openInbox(world.reviewer);
    let navigations = 0;
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations++);
    const { verdict, reviewId } = await heldCall('press-a', 'rm -rf /srv/press-a');
    const card = reviewCard(page, 'rm -rf /srv/press-a');
    await card.waitFor();
    await card.getByText('destructive command').waitFor();
    await card.getByText('Agent connected').waitFor();
    await page.waitForFunction(() => /^\(\d+\) Reviews/.test((globalThis as unknown as { document: { title: string } }).document.title));
    await card.click();
    await page.keyboard.press('a');
    const got = await verdict;
    expect(got).toMatchObject({ decision: 'allow', source: 'review', review_id: reviewId });
    await card.waitFor({ state: 'detached' });
    await page.getByRole('log', { name: 'Recently settled' }).getByText(/approved by you/).waitFor();
    expect(navigations).toBe(0);
  }, SLOW);

  it('deny asks for a reason, and the agent gets block with that reason', async () => {
    const page = await openInbox(world.reviewer);
    const { verdict, reviewId } = await heldCall('deny-reason', 'rm -rf /srv/deny-reason');
    const card = reviewCard(page, 'rm -rf /srv/deny-reason');
    await card.getByRole('button', { name: 'Deny' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('use the staging cluster instead');
    await dialog.getByRole('button', { name: 'Deny' }).click();
    const got = await verdict;
    expect(got).toMatchObject({ decision: 'block', source: 'review', review_id: reviewId });
    expect(got.reason).toContain('use the staging cluster instead');
    await card.waitFor({ state: 'detached' });
  }, SLOW);

  it('j and k move between reviews, x extends the selected one, d asks for a reason, ? lists the shortcuts', async () => {
    const page = await openInbox(world.reviewer);
    await heldCall('keys-1', 'rm -rf /srv/keys-1');
    const second = await heldCall('keys-2', 'rm -rf /srv/keys-2');
    const cards = page.getByRole('feed', { name: 'Pending reviews' }).getByRole('article');
    await reviewCard(page, 'rm -rf /srv/keys-2').waitFor();
    // Each card links to its review: which one has the keyboard focus tells the selection, as a screen reader hears it.
    const focused = () => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { querySelector(s: string): { getAttribute(a: string): string | null } | null } | null } }).document.activeElement?.querySelector('a')?.getAttribute('href') ?? null);
    const count = await cards.count();
    await page.keyboard.press('j');
    const afterJ = await focused();
    await page.keyboard.press('k');
    const afterK = await focused();
    expect(afterJ).not.toBe(afterK);
    expect(count).toBeGreaterThanOrEqual(2);

    // Select the second held call, then extend it by keyboard.
    const target = `/reviews/${second.reviewId}`;
    for (let i = 0; i < count && (await focused()) !== target; i++) await page.keyboard.press('j');
    expect(await focused()).toBe(target);
    const before = await world.http1.get(`/api/reviews/${second.reviewId}`, { token: world.admin.token });
    await page.keyboard.press('x');
    await waitFor(
      'the deadline to move',
      async () => {
        const now = await world.http1.get(`/api/reviews/${second.reviewId}`, { token: world.admin.token });
        return Date.parse(now.body.expires_at) > Date.parse(before.body.expires_at) ? true : undefined;
      },
      10_000,
    );

    await page.keyboard.press('d');
    const reason = page.getByRole('dialog').getByLabel('Reason');
    await reason.waitFor();
    expect(await reason.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await reviewCard(page, 'rm -rf /srv/keys-1').count()).toBe(1);
  }, SLOW);

  it('a review decided by someone else, on another instance, leaves the open inbox saying who decided', async () => {
    const page = await openInbox(world.admin, world.one.url);
    const { verdict, reviewId } = await heldCall('elsewhere', 'rm -rf /srv/elsewhere');
    const card = reviewCard(page, 'rm -rf /srv/elsewhere');
    await card.waitFor();
    const res = await world.http2.post(`/api/reviews/${reviewId}/decision`, { decision: 'deny', note: 'not today' }, { token: world.reviewer.token });
    expect(res.status).toBe(200);
    await card.waitFor({ state: 'detached' });
    await page.getByRole('log', { name: 'Recently settled' }).getByText(`denied by ${world.reviewer.email}: “not today”`).waitFor();
    expect((await verdict).decision).toBe('block');
  }, SLOW);

  it('a review that expires leaves the open inbox saying the agent got the timeout decision', async () => {
    const page = await openInbox(world.reviewer);
    const { verdict, reviewId } = await heldCall('expires', 'rm -rf /srv/expires');
    const card = reviewCard(page, 'rm -rf /srv/expires');
    await card.waitFor();
    // The deadline passes now instead of in ten minutes; the sweeper (every second) expires it.
    await world.db.pool.query("UPDATE reviews SET expires_at = now() - interval '1 second' WHERE id = $1", [reviewId]);
    await card.waitFor({ state: 'detached' });
    await page.getByRole('log', { name: 'Recently settled' }).getByText('shell.exec (session expires) expired: nobody decided in time, the agent got block.').waitFor();
    expect(await verdict).toMatchObject({ decision: 'block', source: 'timeout' });
  }, SLOW);
});
