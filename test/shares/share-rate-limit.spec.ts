import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { createShare, shareableSession } from './factories.js';

describe('per-address rate limit on the public share routes', () => {
  const LIMIT = 6;
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let httpA: HttpClient;
  let httpB: HttpClient;
  let token: string;
  let shareId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // TRUST_PROXY lets the test speak for several client addresses through X-Forwarded-For.
    const overrides = { sharePublicRateLimit: LIMIT, sharePublicRateWindowSeconds: 600, trustProxy: true };
    [a, b] = await Promise.all([startApp(db.url, overrides), startApp(db.url, overrides)]);
    httpA = new HttpClient(a.url);
    httpB = new HttpClient(b.url);
    const admin = await signInAdmin(httpA);
    const { sessionId } = await shareableSession(httpA, db.pool, admin.token);
    ({ token, id: shareId } = await createShare(httpA, admin.token, sessionId));
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

  it('answers 429 rate_limited with Retry-After on either instance once one address passes the limit across both', async () => {
    const address = { headers: { 'x-forwarded-for': '198.51.100.7' } };
    // Alternate instances and routes: the page, the state and a view all count.
    const allowed = [
      await httpA.get(`/api/public/shares/${token}`, address),
      await httpB.get(`/s/${token}`, address),
      await httpA.post(`/api/public/shares/${token}/views`, undefined, address),
      await httpB.get(`/api/public/shares/${token}`, address),
      await httpA.get(`/s/${token}`, address),
      await httpB.post(`/api/public/shares/${token}/views`, undefined, address),
    ];
    expect(allowed.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    for (const res of [
      await httpA.get(`/api/public/shares/${token}`, address),
      await httpB.get(`/api/public/shares/${token}`, address),
      await httpB.post(`/api/public/shares/${token}/views`, undefined, address),
      await httpA.get(`/s/${token}`, address),
    ]) {
      expect(res.status).toBe(429);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body.error.code).toBe('rate_limited');
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(600);
    }
    // A refused view is not a view.
    expect((await db.pool.query('SELECT view_count FROM share_links WHERE id = $1', [shareId])).rows[0].view_count).toBe(2);
  });

  it('counts each address on its own', async () => {
    expect((await httpB.get(`/api/public/shares/${token}`, from('198.51.100.7'))).status).toBe(429);
    expect((await httpB.get(`/api/public/shares/${token}`, from('203.0.113.20'))).status).toBe(200);
    expect((await httpA.get(`/api/public/shares/${token}`, from('203.0.113.21'))).status).toBe(200);
  });

  it('holds under concurrent requests from one address spread over both instances', async () => {
    const address = from('192.0.2.55');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? httpA : httpB).get(`/api/public/shares/${token}`, address)),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(LIMIT);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(40 - LIMIT);
  });

  it('holds for concurrent view POSTs too, where the limit is counted inside the consume statement: 429s use no view', async () => {
    const before = (await db.pool.query('SELECT view_count FROM share_links WHERE id = $1', [shareId])).rows[0].view_count;
    const address = from('192.0.2.77');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? httpA : httpB).post(`/api/public/shares/${token}/views`, undefined, address)),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(LIMIT);
    expect(answers.filter((r) => r.status === 429 && r.body.error.code === 'rate_limited')).toHaveLength(30 - LIMIT);
    const after = await db.pool.query('SELECT view_count, (SELECT count(*)::int FROM share_views WHERE share_id = $1) AS logged FROM share_links WHERE id = $1', [shareId]);
    expect(after.rows[0].view_count).toBe(before + LIMIT);
    expect(after.rows[0].logged).toBe(before + LIMIT);
  });

  it('keeps client addresses out of the limiter table: its keys carry an HMAC of the address', async () => {
    const { rows } = await db.pool.query("SELECT key FROM rate_limit_buckets WHERE key LIKE 'share-public:%'");
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const { key } of rows) expect(key).toMatch(/^share-public:[0-9a-f]{64}$/);
  });
});
