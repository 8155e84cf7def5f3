import { type Browser, type Page, chromium } from 'playwright-core';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { type SignedIn, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { type CreatedShare, createShare, insertEvent, insertVerdict, shareableSession } from './factories.js';

/** The little of the page's globals the tests read (the test's TypeScript has no DOM types). */
interface InPage {
  document: { getElementById(id: string): { textContent: string | null } | null };
  __pwned?: unknown;
}

/** The share page in a real browser (Debian's chromium: `apt-get install -y chromium`). */
describe('share page in a browser', () => {
  const SECRET = 'sk-live-do-not-show';
  const HOSTILE = '<img src=x onerror="window.__pwned=1">';
  let db: TestDatabase;
  let instance: TestApp;
  let http: HttpClient;
  let browser: Browser;
  let admin: SignedIn;
  let session: Awaited<ReturnType<typeof shareableSession>>;
  const problems: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    instance = await startApp(db.url, { sharePublicRateLimit: 1_000_000 });
    http = new HttpClient(instance.url);
    admin = await signInAdmin(http);
    session = await shareableSession(http, db.pool, admin.token, { label: 'browser-run' });
    const first = await insertEvent(db.pool, session.sessionId, { tool: 'shell', input: { cmd: 'deploy --prod', api_key: SECRET } });
    await insertVerdict(db.pool, session.sessionId, first, { decision: 'allow', reason: 'default allow', source: 'policy' });
    const second = await insertEvent(db.pool, session.sessionId, { tool: HOSTILE, input: { note: `</pre><script>window.__pwned=2</script>` } });
    await insertVerdict(db.pool, session.sessionId, second, { decision: 'block', reason: HOSTILE, source: 'policy' });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.close();
    await db?.drop();
  });

  const viewCount = async (share: CreatedShare) =>
    (await db.pool.query('SELECT view_count FROM share_links WHERE id = $1', [share.id])).rows[0].view_count as number;

  const open = async (path: string): Promise<Page> => {
    const page = await browser.newPage();
    // A CSP violation or a script error shows up here.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(instance.url + path);
    return page;
  };

  const statusIs = (page: Page, text: string) =>
    page.waitForFunction((expected) => (globalThis as unknown as InPage).document.getElementById('status')?.textContent === expected, text, { timeout: 10_000 });

  it('shows the state on load without using a view, and uses exactly one per click', async () => {
    const share = await createShare(http, admin.token, session.sessionId, { max_views: 2 });
    const path = new URL(share.url).pathname;

    for (let i = 0; i < 3; i++) {
      const page = await open(path);
      await statusIs(page, 'This link is valid.');
      expect(await page.textContent('#details')).toContain('2 views left');
      expect(await page.isVisible('#view')).toBe(true);
      await page.close();
    }
    expect(await viewCount(share)).toBe(0);

    const page = await open(path);
    await statusIs(page, 'This link is valid.');
    await page.click('#view');
    await statusIs(page, 'Transcript');
    await page.waitForSelector('#events li', { timeout: 10_000 });
    expect(await viewCount(share)).toBe(1);
    expect(await page.isVisible('#view')).toBe(false);
    expect(await page.textContent('#details')).toContain('1 view left');

    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain(session.projectName);
    expect(text).toContain('browser-run');
    expect(text).toContain('deploy --prod');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(SECRET);
    expect(await page.locator('#events li').count()).toBe(2);
    await page.close();

    const last = await open(path);
    await statusIs(last, 'This link is valid.');
    await last.click('#view');
    await statusIs(last, 'Transcript');
    expect(await viewCount(share)).toBe(2);
    await last.close();

    const spent = await open(path);
    await statusIs(spent, 'This link has no views left.');
    expect(await spent.isVisible('#view')).toBe(false);
    await spent.close();
    expect(await viewCount(share)).toBe(2);
    expect(problems).toEqual([]);
  });

  it('renders hostile event data as text, never as markup', async () => {
    const share = await createShare(http, admin.token, session.sessionId);
    const page = await open(new URL(share.url).pathname);
    await statusIs(page, 'This link is valid.');
    await page.click('#view');
    await page.waitForSelector('#events li', { timeout: 10_000 });
    // Functions, not strings: the page's CSP forbids evaluating strings, even Playwright's.
    expect(await page.evaluate(() => (globalThis as unknown as InPage).__pwned)).toBeUndefined();
    expect(await page.locator('#events img, #events script').count()).toBe(0);
    expect(await page.textContent('#events')).toContain(HOSTILE);
    await page.close();
    expect(problems).toEqual([]);
  });

  it('says when a link does not exist, has been revoked or has expired', async () => {
    const unknown = await open('/s/' + 'A'.repeat(43));
    await statusIs(unknown, 'This link does not exist.');
    expect(await unknown.isVisible('#view')).toBe(false);
    await unknown.close();

    const revoked = await createShare(http, admin.token, session.sessionId);
    expect((await http.delete(`/api/shares/${revoked.id}`, { token: admin.token })).status).toBe(204);
    const revokedPage = await open(new URL(revoked.url).pathname);
    await statusIs(revokedPage, 'This link has been revoked.');
    await revokedPage.close();

    const expired = await createShare(http, admin.token, session.sessionId);
    await db.pool.query("UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.id]);
    const expiredPage = await open(new URL(expired.url).pathname);
    await statusIs(expiredPage, 'This link has expired.');
    expect(await expiredPage.isVisible('#view')).toBe(false);
    await expiredPage.close();
    expect(problems).toEqual([]);
  });
});
