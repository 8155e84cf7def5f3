import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { type SignedIn, createUser, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { createShare, insertEvent, shareableSession } from './factories.js';

/**
 * The bug this feature must never repeat: a view limit checked on a copy and incremented in a second step lets
 * concurrent viewers past the limit without bound. Here the viewers hit two instances on one database at once.
 */
describe('share view limit race', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let clients: HttpClient[];
  let reviewer: SignedIn;
  let sessionId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The per-address limiter is tested on its own; every request here comes from 127.0.0.1.
    const overrides = { sharePublicRateLimit: 1_000_000 };
    [a, b] = await Promise.all([startApp(db.url, overrides), startApp(db.url, overrides)]);
    clients = [new HttpClient(a.url), new HttpClient(b.url)];
    const admin = await signInAdmin(clients[0]);
    reviewer = await createUser(clients[0], admin.token, 'reviewer');
    ({ sessionId } = await shareableSession(clients[0], db.pool, admin.token));
    await insertEvent(db.pool, sessionId, { tool: 'shell', input: { cmd: 'deploy' } });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  const round = async (attempt: number) => {
    const share = await createShare(clients[attempt % 2], reviewer.token, sessionId, { max_views: 10 });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => clients[i % 2].post(`/api/public/shares/${share.token}/views`)),
    );
    const tally: Record<string, number> = {};
    for (const r of answers) {
      const key = r.status === 200 ? '200' : `${r.status} ${r.body?.error?.code}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    expect(tally).toEqual({ '200': 10, '410 view_limit_reached': 190 });
    const ok = answers.filter((r) => r.status === 200);
    // Each success used its own view: the counts they saw are 1…10, once each.
    expect(ok.map((r) => r.body.share.view_count).sort((x: number, y: number) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ok.every((r) => r.body.events.length === 1)).toBe(true);
    const stored = await db.pool.query('SELECT view_count FROM share_links WHERE id = $1', [share.id]);
    expect(stored.rows[0].view_count).toBe(10);
    const views = await db.pool.query('SELECT count(*)::int AS n FROM share_views WHERE share_id = $1', [share.id]);
    expect(views.rows[0].n).toBe(10);
  };

  it.each([1, 2, 3, 4, 5])('lets exactly 10 of 200 concurrent views through across two instances (round %i of 5)', async (attempt) => {
    await round(attempt);
  });

  it('loses no view on an unlimited link under the same load', async () => {
    const share = await createShare(clients[0], reviewer.token, sessionId);
    const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => clients[i % 2].post(`/api/public/shares/${share.token}/views`)));
    expect(answers.map((r) => r.status)).toEqual(Array(120).fill(200));
    const stored = await db.pool.query('SELECT view_count, (SELECT count(*)::int FROM share_views WHERE share_id = $1) AS logged FROM share_links WHERE id = $1', [share.id]);
    expect(stored.rows[0]).toEqual({ view_count: 120, logged: 120 });
  });

  it('counts exactly the views answered 200 while viewers race a revocation, and none after it', async () => {
    const admin = await signInAdmin(clients[1]);
    const share = await createShare(clients[0], reviewer.token, sessionId, { max_views: 1000 });
    const views = Array.from({ length: 100 }, (_, i) => clients[i % 2].post(`/api/public/shares/${share.token}/views`));
    const revoke = clients[1].delete(`/api/shares/${share.id}`, { token: admin.token });
    const answers = await Promise.all(views);
    expect((await revoke).status).toBe(204);
    const ok = answers.filter((r) => r.status === 200).length;
    expect(answers.filter((r) => r.status === 410).every((r) => r.body.error.code === 'revoked')).toBe(true);
    expect(ok + answers.filter((r) => r.status === 410).length).toBe(100);
    const stored = await db.pool.query('SELECT view_count, (SELECT count(*)::int FROM share_views WHERE share_id = $1) AS logged FROM share_links WHERE id = $1', [share.id]);
    expect(stored.rows[0]).toEqual({ view_count: ok, logged: ok });
    expect((await clients[0].post(`/api/public/shares/${share.token}/views`)).body.error.code).toBe('revoked');
  });
});
