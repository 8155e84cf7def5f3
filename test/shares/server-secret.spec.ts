import { ServerSecretService, serverSecretWarning } from '../../src/infra/crypto/server-secret.service.js';
import { WebhookSecretBox } from '../../src/webhooks/webhook-secret-box.service.js';
import { WebhookSecretRotation } from '../../src/webhooks/webhook-secret-rotation.service.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { createProject, signInAdmin, waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { WebhookReceiver } from '../reviews/support.js';
import { loadConfig } from '../../src/infra/config/config.js';
import { webhookDueChannel } from '../../src/webhooks/webhook-events.js';
import { signWebhook } from '../../src/webhooks/webhook-signature.js';

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

  it('warns at start when an external database holds the secret beside what it protects, and only then', async () => {
    expect(serverSecretWarning({ secret: undefined, externalDatabase: true })).toMatch(/ARBITER_SECRET is not set.*same database/);
    expect(serverSecretWarning({ secret: undefined, externalDatabase: false })).toBeUndefined();
    expect(serverSecretWarning({ secret: 'x'.repeat(32), externalDatabase: true })).toBeUndefined();

    let captured = '';
    const originalWrite = process.stdout.write;
    // pino writes through process.stdout.write when it was replaced before the logger is made.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      (rest.find((arg) => typeof arg === 'function') as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stdout.write;
    try {
      const external = await startApp(db.url, { logLevel: 'warn', externalDatabase: true });
      await external.close();
    } finally {
      process.stdout.write = originalWrite;
    }
    const warning = captured.split('\n').find((line) => line.includes('ARBITER_SECRET is not set'));
    expect(warning && JSON.parse(warning).level).toBe(40);
  });
});

describe('rotating the server secret', () => {
  const OLD = 'the old ARBITER_SECRET, at least 32 characters long';
  const NEW = 'the new ARBITER_SECRET, at least 32 characters long';
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(() => db?.drop());

  /** Creates a webhook through the API of an instance started with `overrides`; returns its id and secret. */
  async function webhookUnder(overrides: Parameters<typeof startApp>[1], url = 'https://hooks.example.test/arbiter'): Promise<{ id: string; secret: string; sealed: string }> {
    const app = await startApp(db.url, overrides);
    try {
      const http = new HttpClient(app.url);
      const admin = await signInAdmin(http);
      const project = await createProject(http, admin.token);
      const res = await http.post(`/api/projects/${project.id}/webhooks`, { url, events: ['review.created'] }, { token: admin.token });
      expect(res.status).toBe(201);
      return { id: res.body.id, secret: res.body.secret, sealed: await sealedOf(res.body.id) };
    } finally {
      await app.close();
    }
  }

  const sealedOf = async (id: string) => (await db.pool.query('SELECT secret_enc FROM webhooks WHERE id = $1', [id])).rows[0].secret_enc as string;

  /** What an instance started with `overrides` reads the webhook's secret as. */
  async function openedBy(overrides: Parameters<typeof startApp>[1], id: string): Promise<string> {
    const app = await startApp(db.url, overrides);
    try {
      return await app.app.get(WebhookSecretBox).open(id, await sealedOf(id));
    } finally {
      await app.close();
    }
  }

  it('re-seals secrets sealed under ARBITER_SECRET_PREVIOUS under the new ARBITER_SECRET at start, so the old one can go', async () => {
    const hook = await webhookUnder({ secret: OLD });
    // The new secret alone cannot open it: that is what ARBITER_SECRET_PREVIOUS is for.
    await expect(openedBy({ secret: NEW }, hook.id)).rejects.toThrow(/does not open/);

    const rotating = await startApp(db.url, { secret: NEW, secretPrevious: OLD });
    try {
      await waitFor('the start-up re-seal', async () => ((await sealedOf(hook.id)) !== hook.sealed ? true : undefined), 10_000);
      expect(await rotating.app.get(WebhookSecretRotation).resealAll()).toEqual({ resealed: 0, unreadable: 0 });
    } finally {
      await rotating.close();
    }
    expect(await openedBy({ secret: NEW }, hook.id)).toBe(hook.secret);
  });

  it('moves secrets sealed under the generated database secret to ARBITER_SECRET once it is set', async () => {
    const hook = await webhookUnder({});
    const rotating = await startApp(db.url, { secret: NEW });
    try {
      // Until it is re-sealed, the webhook still works: the stored secret opens it.
      expect(await rotating.app.get(WebhookSecretBox).open(hook.id, hook.sealed)).toBe(hook.secret);
      await waitFor('the start-up re-seal', async () => ((await sealedOf(hook.id)) !== hook.sealed ? true : undefined), 10_000);
    } finally {
      await rotating.close();
    }
    // With the generated secret deleted from the database, ARBITER_SECRET alone opens it.
    await db.pool.query("DELETE FROM server_settings WHERE name = 'server_secret'");
    expect(await openedBy({ secret: NEW }, hook.id)).toBe(hook.secret);
  });

  it('lets instances re-sealing at once leave one sealed secret that opens', async () => {
    const hook = await webhookUnder({ secret: OLD });
    const apps = await Promise.all([startApp(db.url, { secret: NEW, secretPrevious: OLD }), startApp(db.url, { secret: NEW, secretPrevious: OLD })]);
    try {
      const results = await Promise.all(apps.flatMap((app) => [app, app].map((a) => a.app.get(WebhookSecretRotation).resealIfStale(hook.id, hook.sealed))));
      // Whatever the start-up passes did meanwhile, at most one of these replaced the original.
      expect(results.filter(Boolean).length).toBeLessThanOrEqual(1);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
    expect(await openedBy({ secret: NEW }, hook.id)).toBe(hook.secret);
  });

  it('re-seals, as it delivers, a secret sealed under the old key by an instance not yet restarted', async () => {
    const receiver = await WebhookReceiver.start(() => 200);
    const rotated = await startApp(db.url, { secret: NEW, secretPrevious: OLD });
    try {
      // Created through an instance still on the old secret, after the rotated one's start-up pass.
      const hook = await webhookUnder({ secret: OLD }, receiver.url);
      await db.pool.query("INSERT INTO webhook_deliveries (id, webhook_id, event_key, event_type, payload) VALUES (gen_random_uuid(), $1, 'rotation-test', 'review.created', '{}')", [hook.id]);
      await db.pool.query('SELECT pg_notify($1, $2)', [webhookDueChannel.name, '{}']);
      const call = await waitFor('the delivery', async () => receiver.calls[0], 10_000);
      const timestamp = Number(call.headers['x-arbiter-timestamp']);
      expect(call.headers['x-arbiter-signature']).toBe(signWebhook(hook.secret, timestamp, call.body));
      await waitFor('the re-seal', async () => ((await sealedOf(hook.id)) !== hook.sealed ? true : undefined), 5000);
      expect(await rotated.app.get(WebhookSecretBox).openWithAge(hook.id, await sealedOf(hook.id))).toEqual({ secret: hook.secret, stale: false });
    } finally {
      await rotated.close();
      await receiver.close();
    }
  });

  it('reads ARBITER_SECRET_PREVIOUS only beside ARBITER_SECRET', () => {
    expect(loadConfig({ ARBITER_SECRET: NEW, ARBITER_SECRET_PREVIOUS: OLD }).secretPrevious).toBe(OLD);
    expect(() => loadConfig({ ARBITER_SECRET_PREVIOUS: OLD })).toThrow(/ARBITER_SECRET_PREVIOUS needs ARBITER_SECRET/);
    expect(() => loadConfig({ ARBITER_SECRET: NEW, ARBITER_SECRET_PREVIOUS: 'short' })).toThrow(/ARBITER_SECRET_PREVIOUS must be at least 32/);
  });
});
