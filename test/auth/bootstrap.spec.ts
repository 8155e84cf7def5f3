import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { type TestApp, TEST_ADMIN, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { HttpClient } from '../support/http.js';

/** Boots an app while recording what Nest's Logger is asked to warn about (the generated password goes there). */
async function startAppRecordingWarnings(url: string, overrides: Parameters<typeof startApp>[1]): Promise<{ app: TestApp; warnings: string[] }> {
  const warnings: string[] = [];
  const original = Logger.prototype.warn;
  Logger.prototype.warn = function (this: Logger, message: unknown, ...rest: unknown[]) {
    warnings.push(String(message));
    return (original as (...args: unknown[]) => void).call(this, message, ...rest);
  };
  try {
    return { app: await startApp(url, overrides), warnings };
  } finally {
    Logger.prototype.warn = original;
  }
}

describe('first admin', () => {
  describe('from ARBITER_ADMIN_EMAIL / ARBITER_ADMIN_PASSWORD, with two instances starting together', () => {
    let db: TestDatabase;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      db = await createTestDatabase();
    });

    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await db?.drop();
    });

    it('creates exactly one admin when two instances start at the same time on a fresh database', async () => {
      expect((await db.pool.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(0);
      apps.push(...(await Promise.all([startApp(db.url), startApp(db.url)])));
      const { rows } = await db.pool.query('SELECT email, role, disabled, must_change_password, password_hash FROM users');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toEqual(expect.objectContaining({ email: TEST_ADMIN.email, role: 'admin', disabled: false, must_change_password: false }));
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
      const audit = await db.pool.query("SELECT actor_type, target_id FROM audit_entries WHERE action = 'user.bootstrap_admin'");
      expect(audit.rows).toHaveLength(1);
      expect(audit.rows[0].actor_type).toBe('system');
    });

    it('lets that admin sign in on either instance', async () => {
      for (const app of apps) {
        const res = await new HttpClient(app.url).post('/api/auth/login', TEST_ADMIN);
        expect(res.status).toBe(200);
        expect(res.body.user).toEqual(expect.objectContaining({ email: TEST_ADMIN.email, role: 'admin', must_change_password: false }));
      }
    });

    it('creates nobody when users already exist, whatever the settings say', async () => {
      const later = await startApp(db.url, { adminEmail: 'someone-else@arbiter.test', adminPassword: 'another long password' });
      apps.push(later);
      const { rows } = await db.pool.query('SELECT email FROM users');
      expect(rows).toEqual([{ email: TEST_ADMIN.email }]);
    });
  });

  describe('without ARBITER_ADMIN_* settings', () => {
    let db: TestDatabase;
    let instance: TestApp;
    let http: HttpClient;
    let warnings: string[];

    beforeAll(async () => {
      db = await createTestDatabase();
      ({ app: instance, warnings } = await startAppRecordingWarnings(db.url, { adminEmail: undefined, adminPassword: undefined }));
      http = new HttpClient(instance.url);
    });

    afterAll(async () => {
      await instance?.close();
      await db?.drop();
    });

    const generatedPassword = () => {
      const lines = warnings.filter((w) => w.includes('admin@localhost'));
      expect(lines).toHaveLength(1);
      const match = /with password (\S+)/.exec(lines[0]);
      expect(match).not.toBeNull();
      return match![1];
    };

    it('creates admin@localhost with a random password, a real argon2id hash and must_change_password', async () => {
      const { rows } = await db.pool.query('SELECT email, role, must_change_password, password_hash FROM users');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toEqual(expect.objectContaining({ email: 'admin@localhost', role: 'admin', must_change_password: true }));
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$/);
      const password = generatedPassword();
      // At least 128 random bits, and not stored anywhere in clear.
      expect(password.length).toBeGreaterThanOrEqual(22);
      expect(rows[0].password_hash).not.toContain(password);
    });

    it('prints the password once: a second instance on the same database prints nothing', async () => {
      const second = await startAppRecordingWarnings(db.url, { adminEmail: undefined, adminPassword: undefined });
      try {
        expect(second.warnings.filter((w) => w.includes('password'))).toEqual([]);
        expect((await db.pool.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(1);
      } finally {
        await second.app.close();
      }
    });

    it('refuses sign-in without the generated password', async () => {
      for (const password of ['', 'admin', 'password', 'correct horse battery staple']) {
        const res = await http.post('/api/auth/login', { email: 'admin@localhost', password });
        expect(res.status).toBe(401);
      }
    });

    it('answers 403 password_change_required on every route but me, logout and change-password until the password is changed', async () => {
      const login = await http.post('/api/auth/login', { email: 'admin@localhost', password: generatedPassword() });
      expect(login.status).toBe(200);
      expect(login.body.user.must_change_password).toBe(true);
      const token = login.body.token as string;

      const me = await http.get('/api/auth/me', { token });
      expect(me.status).toBe(200);
      expect(me.body.must_change_password).toBe(true);

      // Every operation the API documents: those that need a signed-in person must refuse this one.
      const doc = (await http.get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const allowed = new Set(['/api/auth/me', '/api/auth/logout', '/api/auth/change-password']);
      const checked: string[] = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        if (allowed.has(path)) continue;
        for (const method of Object.keys(operations)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
          const concrete = path.replace(/\{[^}]+\}/g, randomUUID());
          const anonymous = await http.request(method.toUpperCase(), concrete, { body: method === 'get' || method === 'delete' ? undefined : {} });
          if (anonymous.status !== 401) continue; // a public route (login, health, public shares…)
          const res = await http.request(method.toUpperCase(), concrete, { token, body: method === 'get' || method === 'delete' ? undefined : {} });
          expect({ route: `${method.toUpperCase()} ${path}`, status: res.status, code: res.body?.error?.code }).toEqual({
            route: `${method.toUpperCase()} ${path}`,
            status: 403,
            code: 'password_change_required',
          });
          checked.push(`${method.toUpperCase()} ${path}`);
        }
      }
      for (const route of ['GET /api/users', 'POST /api/users', 'PATCH /api/users/{id}', 'GET /api/projects', 'POST /api/projects', 'GET /api/projects/{id}', 'PATCH /api/projects/{id}', 'GET /api/projects/{id}/api-keys', 'POST /api/projects/{id}/api-keys', 'DELETE /api/api-keys/{id}', 'GET /api/audit']) {
        expect(checked).toContain(route);
      }

      // Signing out stays open too.
      const second = (await http.post('/api/auth/login', { email: 'admin@localhost', password: generatedPassword() })).body.token as string;
      expect((await http.post('/api/auth/logout', undefined, { token: second })).status).toBe(204);
      expect((await http.get('/api/auth/me', { token: second })).status).toBe(401);

      const next = 'a new and long admin password';
      expect((await http.post('/api/auth/change-password', { current_password: generatedPassword(), new_password: next }, { token })).status).toBe(204);
      expect((await http.get('/api/users', { token })).status).toBe(200);
      expect((await http.get('/api/projects', { token })).status).toBe(200);
      const { rows } = await db.pool.query('SELECT must_change_password FROM users WHERE email = $1', ['admin@localhost']);
      expect(rows[0].must_change_password).toBe(false);
      expect((await http.post('/api/auth/login', { email: 'admin@localhost', password: next })).body.user.must_change_password).toBe(false);
    });

  });
});
