import { ServerSecretService } from '../../src/infra/crypto/server-secret.service.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';

describe('server secret', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await db?.drop();
  });

  it('is created once in server_settings and shared by instances that ask for it at the same moment', async () => {
    const [a, b] = await Promise.all([startApp(db.url), startApp(db.url)]);
    apps.push(a, b);
    const [sa, sb] = [a.app.get(ServerSecretService), b.app.get(ServerSecretService)];
    const hashes = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? sa : sb).hmacHex('test', '198.51.100.1')));
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    const { rows } = await db.pool.query("SELECT value FROM server_settings WHERE name = 'server_secret'");
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0].value, 'base64url')).toHaveLength(32);
    // Keys are per purpose: the same input under another purpose hashes differently.
    expect(await sa.hmacHex('other', '198.51.100.1')).not.toBe(hashes[0]);
    expect(await sa.deriveKey('webhook-secrets')).toHaveLength(32);
    expect((await sa.deriveKey('webhook-secrets')).equals(await sb.deriveKey('webhook-secrets'))).toBe(true);
  });

  it('uses ARBITER_SECRET instead when it is set', async () => {
    const secret = 'an ARBITER_SECRET of at least 32 characters';
    const [c, d] = await Promise.all([startApp(db.url, { secret }), startApp(db.url, { secret })]);
    apps.push(c, d);
    const fromConfig = await c.app.get(ServerSecretService).hmacHex('test', '198.51.100.1');
    expect(await d.app.get(ServerSecretService).hmacHex('test', '198.51.100.1')).toBe(fromConfig);
    expect(await apps[0].app.get(ServerSecretService).hmacHex('test', '198.51.100.1')).not.toBe(fromConfig);
  });
});
