import { createHash } from 'node:crypto';
import pg from 'pg';
import { ApiKeysService } from '../../src/auth/api-keys/api-keys.service.js';
import { type TestApp, startApp } from '../support/app.js';
import { type SignedInPair, createApiKey, createProject, dumpAllTables, signedInPair, waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const KEY = /^arb_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

describe('SDK API keys on two instances', () => {
  let world: SignedInPair;
  let { db, one, two, http1, http2, admin } = {} as SignedInPair;
  let project: { id: string };

  beforeAll(async () => {
    world = await signedInPair();
    ({ db, one, two, http1, http2, admin } = world);
    project = await createProject(http1, admin.token);
  });

  afterAll(() => world?.close());

  describe('creation', () => {
    it('answers 201 {id, name, prefix, key} with the full key, once', async () => {
      const res = await http1.post(`/api/projects/${project.id}/api-keys`, { name: 'ci-agent' }, { token: admin.token });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(expect.objectContaining({ id: expect.any(String), name: 'ci-agent', prefix: expect.any(String), key: expect.any(String), project_id: project.id }));
      const [, prefix, secret] = KEY.exec(res.body.key)!;
      expect(prefix).toBe(res.body.prefix);
      // At least 192 random bits in the secret (here 256).
      expect(Buffer.from(secret, 'base64url').length * 8).toBeGreaterThanOrEqual(192);

      // Never again: neither the list nor any later answer carries the key or its secret.
      const list = await http1.get(`/api/projects/${project.id}/api-keys`, { token: admin.token });
      expect(list.status).toBe(200);
      const listed = list.body.items.find((k: { id: string }) => k.id === res.body.id);
      expect(listed).toEqual(expect.objectContaining({ id: res.body.id, name: 'ci-agent', prefix, revoked_at: null, created_by: admin.id }));
      expect(Object.keys(listed)).not.toContain('key');
      expect(JSON.stringify(list.body)).not.toContain(secret);
      expect(JSON.stringify(list.body)).not.toContain(sha256(secret));
    });

    it('stores only the SHA-256 of the secret (the test reads api_keys)', async () => {
      const created = await createApiKey(http1, admin.token, project.id, 'stored-hashed');
      const [, prefix, secret] = KEY.exec(created.key)!;
      const { rows } = await db.pool.query('SELECT * FROM api_keys WHERE id = $1', [created.id]);
      expect(rows).toHaveLength(1);
      const row = rows[0];
      expect(row.prefix).toBe(prefix);
      expect(row.secret_hash).toBe(sha256(secret));
      expect(row.created_by).toBe(admin.id);
      for (const [column, value] of Object.entries(row)) {
        const text = value instanceof Date ? value.toISOString() : String(value);
        expect({ column, containsSecret: text.includes(secret) }).toEqual({ column, containsSecret: false });
      }
      const everything = await dumpAllTables(db.pool);
      expect(everything.includes(secret)).toBe(false);
      expect(everything.includes(created.key)).toBe(false);
    });

    it('answers 404 for an unknown project and 400 for a bad name', async () => {
      expect((await http1.post('/api/projects/00000000-0000-4000-8000-000000000000/api-keys', { name: 'x' }, { token: admin.token })).status).toBe(404);
      for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'tab\there' }, { name: 'ok', scope: 'all' }]) {
        const res = await http1.post(`/api/projects/${project.id}/api-keys`, body, { token: admin.token });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      }
      expect((await http1.get('/api/projects/00000000-0000-4000-8000-000000000000/api-keys', { token: admin.token })).status).toBe(404);
      expect((await http1.get(`/api/projects/${project.id}/api-keys?cursor=${Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url')}`, { token: admin.token })).status).toBe(400);
    });
  });

  describe('authentication', () => {
    it('authenticates the key on both instances and records when it was used', async () => {
      const created = await createApiKey(http1, admin.token, project.id);
      for (const http of [http1, http2]) {
        const res = await http.get('/api/sdk/whoami', { token: created.key });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ kind: 'api_key', api_key_id: created.id, project_id: project.id });
      }
      await waitFor('last_used_at', async () => {
        const { rows } = await db.pool.query('SELECT last_used_at FROM api_keys WHERE id = $1', [created.id]);
        return rows[0].last_used_at ?? undefined;
      });
    });

    it('refuses a key with a right prefix and a wrong secret, and malformed keys', async () => {
      const created = await createApiKey(http1, admin.token, project.id);
      const [, prefix, secret] = KEY.exec(created.key)!;
      const tampered = `arb_${prefix}_${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
      for (const key of [tampered, `arb_${prefix}_`, 'arb_nothing', `arb_zzzzzzzzzzzz_${secret}`]) {
        const res = await http2.get('/api/sdk/whoami', { token: key });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    });
  });

  describe('revocation', () => {
    it('refuses the key on the second instance at once after it is revoked on the first', async () => {
      const created = await createApiKey(http1, admin.token, project.id, 'to-revoke');
      expect((await http2.get('/api/sdk/whoami', { token: created.key })).status).toBe(200);

      const revoked = await http1.delete(`/api/api-keys/${created.id}`, { token: admin.token });
      expect(revoked.status).toBe(204);
      const started = Date.now();
      const status = await waitFor(
        'instance 2 to refuse the revoked key',
        async () => {
          const res = await http2.get('/api/sdk/whoami', { token: created.key });
          return res.status === 401 ? res.status : undefined;
        },
        2000,
      );
      expect(status).toBe(401);
      console.log(`revoked key refused by instance 2 after ${Date.now() - started} ms`);
      expect((await http1.get('/api/sdk/whoami', { token: created.key })).status).toBe(401);

      const list = await http2.get(`/api/projects/${project.id}/api-keys`, { token: admin.token });
      expect(list.body.items.find((k: { id: string }) => k.id === created.id).revoked_at).toEqual(expect.any(String));
    });

    it('publishes the revocation on arbiter_api_key_revoked, which every instance hears within 2 s', async () => {
      const created = await createApiKey(http1, admin.token, project.id, 'notify');
      const listener = new pg.Client({ connectionString: db.url });
      await listener.connect();
      try {
        const onDatabase = new Promise<unknown>((resolve) => listener.on('notification', (msg) => msg.channel === 'arbiter_api_key_revoked' && resolve(JSON.parse(msg.payload ?? 'null'))));
        await listener.query('LISTEN arbiter_api_key_revoked');
        const heard = (app: TestApp) =>
          new Promise<string>((resolve) => {
            const stop = app.app.get(ApiKeysService).subscribeRevocations((id) => {
              if (id === created.id) {
                stop();
                resolve(id);
              }
            });
          });
        const onOne = heard(one);
        const onTwo = heard(two);
        expect((await http1.delete(`/api/api-keys/${created.id}`, { token: admin.token })).status).toBe(204);
        const within2s = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not heard within 2 s')), 2000).unref())]);
        await expect(within2s(onDatabase)).resolves.toEqual({ api_key_id: created.id });
        await expect(within2s(onTwo)).resolves.toBe(created.id);
        await expect(within2s(onOne)).resolves.toBe(created.id);
      } finally {
        await listener.end();
      }
    });

    it('answers 204 again for a key already revoked, and 404 for an unknown key', async () => {
      const created = await createApiKey(http1, admin.token, project.id);
      expect((await http1.delete(`/api/api-keys/${created.id}`, { token: admin.token })).status).toBe(204);
      expect((await http2.delete(`/api/api-keys/${created.id}`, { token: admin.token })).status).toBe(204);
      const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM audit_entries WHERE action = 'api_key.revoke' AND target_id = $1", [created.id]);
      expect(rows[0].n).toBe(1);
      expect((await http1.delete('/api/api-keys/00000000-0000-4000-8000-000000000000', { token: admin.token })).status).toBe(404);
    });

    it('leaves the project\'s other keys working', async () => {
      const keep = await createApiKey(http1, admin.token, project.id, 'keep');
      const drop = await createApiKey(http1, admin.token, project.id, 'drop');
      expect((await http1.delete(`/api/api-keys/${drop.id}`, { token: admin.token })).status).toBe(204);
      expect((await http2.get('/api/sdk/whoami', { token: keep.key })).status).toBe(200);
    });
  });

  it('keeps authenticating on one instance after the other has stopped', async () => {
    // Both instances live in this one process: each must authenticate with its own services, not the last one started.
    const third = await startApp(db.url);
    const created = await createApiKey(new HttpClient(third.url), admin.token, project.id);
    await third.close();
    expect((await http1.get('/api/sdk/whoami', { token: created.key })).status).toBe(200);
    expect((await http2.get('/api/auth/me', { token: admin.token })).status).toBe(200);
  });
});
