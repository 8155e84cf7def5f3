import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { createShare, insertEvent, shareableSession } from './factories.js';

describe('share tokens stay secret', () => {
  let db: TestDatabase;
  let instance: TestApp;
  let http: HttpClient;
  const captured: string[] = [];
  const realWrite = process.stdout.write;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Installed before the app boots: pino then writes through process.stdout.write instead of straight to fd 1.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
    try {
      instance = await startApp(db.url, { logLevel: 'info', sharePublicRateLimit: 1_000_000 });
    } catch (err) {
      process.stdout.write = realWrite;
      throw err;
    }
    http = new HttpClient(instance.url);
  });

  afterAll(async () => {
    try {
      await instance?.close();
    } finally {
      process.stdout.write = realWrite;
      await db?.drop();
    }
  });

  it('never appears in clear in the logs or in any table, whatever happens to the link', async () => {
    const admin = await signInAdmin(http);
    const { sessionId } = await shareableSession(http, db.pool, admin.token);
    await insertEvent(db.pool, sessionId, { input: { cmd: 'echo hi' } });
    const limited = await createShare(http, admin.token, sessionId, { max_views: 1 });
    const revoked = await createShare(http, admin.token, sessionId);
    const expired = await createShare(http, admin.token, sessionId);
    const tokens = [limited.token, revoked.token, expired.token];

    const statuses: number[] = [];
    const record = async (p: Promise<{ status: number }>) => statuses.push((await p).status);
    await record(http.get(`/s/${limited.token}`));
    await record(http.get(`/s/${limited.token}?ref=${limited.token}`));
    await record(http.get(`/api/public/shares/${limited.token}`));
    await record(http.post(`/api/public/shares/${limited.token}/views`));
    await record(http.post(`/api/public/shares/${limited.token}/views`)); // 410 view_limit_reached
    await record(http.delete(`/api/shares/${revoked.id}`, { token: admin.token }));
    await record(http.post(`/api/public/shares/${revoked.token}/views`)); // 410 revoked
    await db.pool.query("UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.id]);
    await record(http.post(`/api/public/shares/${expired.token}/views`)); // 410 expired
    await record(http.get(`/api/public/shares/${expired.token}x`)); // malformed: 404
    expect(statuses).toEqual([200, 200, 200, 200, 410, 204, 410, 410, 404]);

    // The logs were captured at all, and show the route shape in place of the token.
    const logs = captured.join('');
    expect(logs).toContain('/s/[token]');
    expect(logs).toContain('/api/public/shares/[token]/views');
    for (const token of tokens) expect(logs).not.toContain(token);

    // Every row of every table, as text.
    const { rows: tables } = await db.pool.query<{ name: string }>(
      "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['share_links', 'share_views', 'audit_entries', 'rate_limit_buckets']));
    let scanned = 0;
    for (const { name } of tables) {
      const { rows } = await db.pool.query<{ row: string }>(`SELECT t::text AS row FROM public.${name} t`);
      scanned += rows.length;
      for (const { row } of rows) for (const token of tokens) expect(row).not.toContain(token);
    }
    expect(scanned).toBeGreaterThan(10);
  });
});
