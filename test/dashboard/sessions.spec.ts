import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { AgentSocket } from '../support/agent-socket.js';
import { type SignedIn, waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type HitlProject, type ReviewsWorld, hitlProject, reviewsWorld } from '../reviews/support.js';
import { DESKTOP, ensureWebBuilt, launchBrowser, signInThroughForm, watchProblems } from './support.js';

/** A browser, two instances and agents on a 2-core machine shared with other work: minutes, not seconds, at worst. */
const SLOW = 180_000;

/** The Sessions pages in Debian's chromium against real instances: the list, a live transcript, and share links. */
describe('dashboard sessions in a browser', () => {
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
    expect(problems.splice(0)).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, problems);
    return page;
  }

  async function signedInAt(user: SignedIn, path: string, base = world.one.url): Promise<Page> {
    const page = await newPage();
    await page.goto(`${base}${path}`);
    await page.waitForURL(/\/sign-in\?next=/);
    await signInThroughForm(page, user.email, user.password);
    await page.waitForURL((url) => url.pathname === path);
    return page;
  }

  async function agent(sessionId: string): Promise<ArbiterClient> {
    const a = await ArbiterClient.connect({ url: world.one.wsUrl, apiKey: project.key, sessionId });
    agents.push(a);
    return a;
  }

  async function sessionIdOf(label: string): Promise<string> {
    const list = await world.http1.get(`/api/sessions?project=${project.id}&label=${label}`, { token: world.admin.token });
    return list.body.items[0].id;
  }

  it('lists sessions, narrows them by label and state, and shows a session ending without reload', async () => {
    const watched = await agent('list-watched-run');
    await agent('list-other-run');
    const page = await signedInAt(world.reviewer, '/sessions');
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
    const list = page.getByRole('region', { name: 'Sessions list' });
    await list.getByRole('link', { name: 'list-other-run' }).waitFor();

    await page.getByLabel('Label').fill('watched');
    await list.getByRole('link', { name: 'list-other-run' }).waitFor({ state: 'detached' });
    const row = list.getByRole('row').filter({ hasText: 'list-watched-run' });
    await row.getByText('Live').waitFor();

    const filters = page.getByRole('search', { name: 'Filter sessions' });
    await filters.getByText('Live', { exact: true }).click();
    await row.waitFor();
    await watched.close();
    // session.disconnected on the feed refetches the list: the ended session leaves the Live view.
    await row.waitFor({ state: 'detached', timeout: 20_000 });
    await filters.getByText('Ended', { exact: true }).click();
    await list.getByRole('row').filter({ hasText: 'list-watched-run' }).getByText('Ended').waitFor();
  }, SLOW);

  it("the transcript grows live: a session's new events, its review and the reviewer's decision appear without reload", async () => {
    const a = await agent('transcript-live');
    expect((await a.decide({ kind: 'tool', tool: 'git.pull', input: { repo: 'tools' } })).decision).toBe('allow');
    const id = await sessionIdOf('transcript-live');
    const page = await signedInAt(world.reviewer, `/sessions/${id}`);
    // A mark in the page's globals: still there at the end means nothing reloaded the page.
    const mark = () => page.evaluate(() => ((globalThis as unknown as { __stayed?: number }).__stayed = 1));
    const stayed = () => page.evaluate(() => (globalThis as unknown as { __stayed?: number }).__stayed);
    await mark();
    const transcript = page.getByRole('list', { name: 'Transcript' });
    await transcript.getByText('git.pull').waitFor();
    await transcript.getByText('acked by the agent').waitFor();

    expect((await a.decide({ kind: 'tool', tool: 'web.search', input: { q: 'grows live' } })).decision).toBe('allow');
    await transcript.getByText('grows live').waitFor({ timeout: 20_000 });
    expect(await stayed()).toBe(1);

    let reviewId: string | undefined;
    const held = await ArbiterClient.connect({ url: world.one.wsUrl, apiKey: project.key, sessionId: 'transcript-live-2', onPending: (_e, r) => (reviewId = r) });
    agents.push(held);
    const verdict = held.decide({ ...DESTRUCTIVE, input: { cmd: 'rm -rf /srv/transcript' } }, { timeoutMs: 60_000 });
    await waitFor('the review', async () => reviewId, 10_000);
    const heldId = await sessionIdOf('transcript-live-2');
    await page.goto(`${world.one.url}/sessions/${heldId}`);
    await mark();
    const item = page.getByRole('list', { name: 'Transcript' }).getByRole('listitem').filter({ hasText: 'rm -rf /srv/transcript' });
    await item.getByText('waiting for a reviewer').waitFor();
    const res = await world.http2.post(`/api/reviews/${reviewId}/decision`, { decision: 'deny', note: 'not from the transcript' }, { token: world.admin.token });
    expect(res.status).toBe(200);
    await item.getByText(/denied by another reviewer: “not from the transcript”/).waitFor({ timeout: 20_000 });
    expect((await verdict).decision).toBe('block');
    await item.getByText('acked by the agent').waitFor({ timeout: 20_000 });
    expect(await stayed()).toBe(1);
  }, SLOW);

  it('the transcript tells a verdict acked, discarded (the caller had given up) and not acked apart', async () => {
    const { agent: raw, ok } = await AgentSocket.login(world.one.wsUrl, project.key, 'ack-states');
    for (const [eventId, q] of [
      ['ev-received', 'acted on'],
      ['ev-discarded', 'too late'],
      ['ev-unacked', 'never acked'],
    ]) {
      expect((await raw.decide(eventId, { kind: 'tool', tool: 'web.search', input: { q } })).decision).toBe('allow');
    }
    raw.ack('ev-received', 'received');
    raw.ack('ev-discarded', 'discarded');
    await waitFor(
      'both acks recorded',
      async () => ((await world.db.pool.query('SELECT count(*)::int AS n FROM verdicts WHERE session_id = $1 AND acked_at IS NOT NULL', [ok.session])).rows[0].n === 2 ? true : undefined),
      10_000,
    );
    const page = await signedInAt(world.reviewer, `/sessions/${ok.session}`);
    const item = (q: string) => page.getByRole('list', { name: 'Transcript' }).getByRole('listitem').filter({ hasText: q });
    await item('acted on').getByText('acked by the agent').waitFor();
    await item('too late').getByText('discarded by the agent (arrived too late, not acted on)').waitFor();
    await item('never acked').getByText('not acked yet').waitFor();
    await raw.close();
  }, SLOW);

  it('a share link is created in the UI and shown once, opened elsewhere (one view, in the log), then revoked', async () => {
    const a = await agent('share-from-ui');
    expect((await a.decide({ kind: 'tool', tool: 'web.search', input: { q: 'shared in a link' } })).decision).toBe('allow');
    const id = await sessionIdOf('share-from-ui');
    const page = await signedInAt(world.reviewer, `/sessions/${id}`);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('list', { name: 'Transcript' }).getByText('shared in a link').waitFor();

    await page.getByLabel('Expires in').selectOption({ label: '1 day' });
    await page.getByRole('textbox', { name: 'Maximum views' }).fill('3');
    await page.getByRole('button', { name: 'Create share link' }).click();
    const link = page.getByRole('textbox', { name: 'Share link' });
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    const links = page.getByRole('region', { name: 'Share links of this session' });
    const row = links.getByRole('row').filter({ hasText: '0 of 3' });
    await row.getByText('valid').waitFor();

    // Someone else opens the link: a fresh browser context, no sign-in.
    const viewer = await newPage();
    await viewer.goto(`${world.two.url}${new URL(url).pathname}`);
    await viewer.getByRole('button', { name: 'View transcript' }).click();
    await viewer.getByText('shared in a link').waitFor();

    const viewed = links.getByRole('row').filter({ hasText: '1 of 3' });
    await viewed.waitFor({ timeout: 20_000 });
    await viewed.getByRole('cell', { name: '2', exact: true }).waitFor();
    await viewed.getByRole('button', { name: 'View log' }).click();
    const log = page.getByRole('dialog', { name: 'Views of this link' });
    await log.getByRole('table', { name: 'View log' }).getByRole('row').nth(1).waitFor();
    expect(await log.getByRole('table', { name: 'View log' }).getByRole('row').count()).toBe(2);
    await page.keyboard.press('Escape');
    await log.waitFor({ state: 'detached' });

    await viewed.getByRole('button', { name: 'Revoke' }).click();
    await links.getByRole('row').filter({ hasText: '1 of 3' }).getByText('revoked').waitFor();
    const state = await world.http1.get(`/api/public/shares/${new URL(url).pathname.split('/').pop()}`);
    expect(state.body.state).toBe('revoked');
    // Shown once: after a reload only the link's state is left, never its URL.
    await page.reload();
    await links.getByRole('row').filter({ hasText: '1 of 3' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Share link' }).count()).toBe(0);
  }, SLOW);
});
