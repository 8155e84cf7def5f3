import { createHash } from 'node:crypto';
import { AuthHousekeepingService } from '../../src/auth/auth-housekeeping.service.js';
import { TEST_ADMIN } from '../support/app.js';
import { type SignedInApp, createUser, dumpAllTables, setCookie, signIn, signedInApp } from '../support/fixtures.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const cookieHeader = (token: string) => ({ cookie: `arbiter_session=${token}` });

describe('dashboard sign-in sessions', () => {
  let world: SignedInApp;
  let { db, instance, http, admin } = {} as SignedInApp;

  beforeAll(async () => {
    // Failures are throttled elsewhere (throttling.spec.ts); here they must not get in the way of the timing samples.
    world = await signedInApp({ loginMaxFailures: 1000, loginMaxFailuresPerAddress: 1000, trustProxy: 'loopback' });
    ({ db, instance, http, admin } = world);
  });

  afterAll(() => world?.close());

  describe('login by cookie and by bearer', () => {
    it('answers the token and user, and sets an HttpOnly SameSite=Lax arbiter_session cookie', async () => {
      const res = await http.post('/api/auth/login', TEST_ADMIN);
      expect(res.status).toBe(200);
      expect(res.body.token).toEqual(expect.any(String));
      // At least 256 bits: 32 bytes are 43 base64url characters.
      expect(Buffer.from(res.body.token, 'base64url').length).toBeGreaterThanOrEqual(32);
      expect(res.body.user).toEqual(expect.objectContaining({ id: admin.id, email: TEST_ADMIN.email, role: 'admin' }));
      const cookie = setCookie(res.headers, 'arbiter_session');
      expect(cookie?.value).toBe(res.body.token);
      const attributes = cookie!.attributes.map((a) => a.toLowerCase());
      expect(attributes).toContain('httponly');
      expect(attributes).toContain('samesite=lax');
      expect(attributes).toContain('path=/');
      expect(attributes.some((a) => a.startsWith('expires='))).toBe(true);
      // Plain HTTP: no Secure flag, or the browser would never send it back.
      expect(attributes).not.toContain('secure');
    });

    it('marks the cookie Secure when the request came over HTTPS (through a trusted proxy)', async () => {
      const res = await http.post('/api/auth/login', TEST_ADMIN, { headers: { 'x-forwarded-proto': 'https' } });
      expect(res.status).toBe(200);
      expect(setCookie(res.headers, 'arbiter_session')!.attributes.map((a) => a.toLowerCase())).toContain('secure');
    });

    it('accepts a GET that carries only the cookie', async () => {
      const login = await http.post('/api/auth/login', TEST_ADMIN);
      const cookie = setCookie(login.headers, 'arbiter_session')!;
      const me = await http.get('/api/auth/me', { headers: cookieHeader(cookie.value) });
      expect(me.status).toBe(200);
      expect(me.body).toEqual(expect.objectContaining({ id: admin.id, email: TEST_ADMIN.email, role: 'admin', must_change_password: false }));
      const projects = await http.get('/api/projects', { headers: cookieHeader(cookie.value) });
      expect(projects.status).toBe(200);
    });

    it('accepts the token as a bearer token', async () => {
      const me = await http.get('/api/auth/me', { token: admin.token });
      expect(me.status).toBe(200);
      expect(me.body.email).toBe(TEST_ADMIN.email);
    });

    it('finds the account whatever the case of the email', async () => {
      const res = await http.post('/api/auth/login', { email: TEST_ADMIN.email.toUpperCase(), password: TEST_ADMIN.password });
      expect(res.status).toBe(200);
      expect(res.body.user.email).toBe(TEST_ADMIN.email);
    });

    it('refuses missing, unknown and malformed credentials with 401', async () => {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-real-token-but-long-enough' }, { authorization: 'Basic YWRtaW46YWRtaW4=' }, cookieHeader('x'.repeat(43))];
      for (const headers of attempts) {
        const res = await http.get('/api/auth/me', { headers });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    });

    it('refuses unknown fields and names the bad field', async () => {
      const extra = await http.post('/api/auth/login', { ...TEST_ADMIN, remember_me: true });
      expect(extra.status).toBe(400);
      expect(extra.body.error).toEqual({ code: 'validation_failed', message: expect.stringContaining('remember_me') });
      const missing = await http.post('/api/auth/login', { email: TEST_ADMIN.email });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain('password');
    });
  });

  describe('CSRF defence on cookie-authenticated writes', () => {
    it('refuses a cookie-only POST without X-Requested-With, and changes nothing', async () => {
      const name = `csrf-${Date.now()}`;
      const res = await http.post('/api/projects', { name }, { headers: cookieHeader(admin.token) });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('csrf_required');
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM projects WHERE name = $1', [name]);
      expect(rows[0].n).toBe(0);
    });

    it('refuses cookie-only PATCH and DELETE without the header too', async () => {
      const patch = await http.patch(`/api/users/${admin.id}`, { role: 'admin' }, { headers: cookieHeader(admin.token) });
      expect(patch.status).toBe(403);
      expect(patch.body.error.code).toBe('csrf_required');
      const del = await http.delete('/api/api-keys/00000000-0000-4000-8000-000000000000', { headers: cookieHeader(admin.token) });
      expect(del.status).toBe(403);
      expect(del.body.error.code).toBe('csrf_required');
    });

    it('accepts the same cookie-only POST with X-Requested-With', async () => {
      const res = await http.post('/api/projects', { name: `csrf-ok-${Date.now()}` }, { headers: { ...cookieHeader(admin.token), 'x-requested-with': 'XMLHttpRequest' } });
      expect(res.status).toBe(201);
      expect(res.body.id).toEqual(expect.any(String));
    });

    it('needs no header for a bearer-authenticated POST', async () => {
      const res = await http.post('/api/projects', { name: `bearer-${Date.now()}` }, { token: admin.token });
      expect(res.status).toBe(201);
    });
  });

  describe('wrong email and wrong password', () => {
    it('give the same 401 body and take about the same time', async () => {
      const person = await createUser(http, admin.token, 'viewer');
      const attempt = async (email: string) => {
        const started = process.hrtime.bigint();
        const res = await http.post('/api/auth/login', { email, password: 'not the password at all' });
        return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
      };
      // Warm up both paths once, then alternate so drift on a shared machine hits both alike.
      await attempt(person.email);
      await attempt(`warmup-${Date.now()}@arbiter.test`);
      const unknownTimes: number[] = [];
      const wrongTimes: number[] = [];
      for (let i = 0; i < 6; i++) {
        const unknown = await attempt(`nobody-${i}-${Date.now()}@arbiter.test`);
        const wrong = await attempt(person.email);
        expect(unknown.res.status).toBe(401);
        expect(wrong.res.status).toBe(401);
        expect(unknown.res.body).toEqual(wrong.res.body);
        expect(unknown.res.body).toEqual({ error: { code: 'invalid_credentials', message: expect.any(String) } });
        unknownTimes.push(unknown.ms);
        wrongTimes.push(wrong.ms);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const unknownMs = mean(unknownTimes);
      const wrongMs = mean(wrongTimes);
      console.log(`login timing: unknown email ${unknownMs.toFixed(1)} ms, wrong password ${wrongMs.toFixed(1)} ms (means of 6)`);
      // Generous: a missing hash check would make the unknown-email path several times faster than argon2id.
      expect(unknownMs).toBeGreaterThan(wrongMs / 3);
      expect(wrongMs).toBeGreaterThan(unknownMs / 3);
    });

    it('answer a disabled account with the right password the same way', async () => {
      const person = await createUser(http, admin.token, 'viewer');
      expect((await http.patch(`/api/users/${person.id}`, { disabled: true }, { token: admin.token })).status).toBe(200);
      const disabled = await http.post('/api/auth/login', { email: person.email, password: person.password });
      const unknown = await http.post('/api/auth/login', { email: `nobody-${Date.now()}@arbiter.test`, password: person.password });
      expect(disabled.status).toBe(401);
      expect(disabled.body).toEqual(unknown.body);
    });
  });

  describe('ending sessions', () => {
    it('logout ends the session and clears the cookie', async () => {
      const token = await signIn(http, TEST_ADMIN.email, TEST_ADMIN.password);
      expect((await http.get('/api/auth/me', { token })).status).toBe(200);
      const out = await http.post('/api/auth/logout', undefined, { token });
      expect(out.status).toBe(204);
      const cleared = setCookie(out.headers, 'arbiter_session');
      expect(cleared?.value).toBe('');
      expect((await http.get('/api/auth/me', { token })).status).toBe(401);
      expect((await http.get('/api/auth/me', { headers: cookieHeader(token) })).status).toBe(401);
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM user_sessions WHERE token_hash = $1', [sha256(token)]);
      expect(rows[0].n).toBe(0);
    });

    it('logout by cookie needs X-Requested-With like any other write', async () => {
      const token = await signIn(http, TEST_ADMIN.email, TEST_ADMIN.password);
      expect((await http.post('/api/auth/logout', undefined, { headers: cookieHeader(token) })).body.error.code).toBe('csrf_required');
      expect((await http.post('/api/auth/logout', undefined, { headers: { ...cookieHeader(token), 'x-requested-with': 'fetch' } })).status).toBe(204);
      expect((await http.get('/api/auth/me', { headers: cookieHeader(token) })).status).toBe(401);
    });

    it('change-password keeps the current session and ends the user\'s other sessions', async () => {
      const person = await createUser(http, admin.token, 'reviewer');
      const other = await signIn(http, person.email, person.password);
      const third = await signIn(http, person.email, person.password);
      const next = `new-${person.password}`;
      const res = await http.post('/api/auth/change-password', { current_password: person.password, new_password: next }, { token: person.token });
      expect(res.status).toBe(204);
      expect((await http.get('/api/auth/me', { token: person.token })).status).toBe(200);
      expect((await http.get('/api/auth/me', { token: other })).status).toBe(401);
      expect((await http.get('/api/auth/me', { token: third })).status).toBe(401);
      expect((await http.post('/api/auth/login', { email: person.email, password: person.password })).status).toBe(401);
      expect((await http.post('/api/auth/login', { email: person.email, password: next })).status).toBe(200);
      const { rows } = await db.pool.query('SELECT password_hash FROM users WHERE id = $1', [person.id]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    });

    it('change-password refuses a wrong current password (403) and a new one equal to the current (400)', async () => {
      const person = await createUser(http, admin.token, 'viewer');
      const wrong = await http.post('/api/auth/change-password', { current_password: 'definitely wrong', new_password: 'a-brand-new-password' }, { token: person.token });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error.message).toContain('current_password');
      const same = await http.post('/api/auth/change-password', { current_password: person.password, new_password: person.password }, { token: person.token });
      expect(same.status).toBe(400);
      expect(same.body.error.message).toContain('new_password');
      const short = await http.post('/api/auth/change-password', { current_password: person.password, new_password: 'short' }, { token: person.token });
      expect(short.status).toBe(400);
      expect(short.body.error.message).toContain('new_password');
      expect((await http.get('/api/auth/me', { token: person.token })).status).toBe(200);
    });

    it('disabling a user ends all their sessions at once, and enabling lets them sign in again', async () => {
      const person = await createUser(http, admin.token, 'reviewer');
      const second = await signIn(http, person.email, person.password);
      const res = await http.patch(`/api/users/${person.id}`, { disabled: true }, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body.disabled).toBe(true);
      expect((await http.get('/api/auth/me', { token: person.token })).status).toBe(401);
      expect((await http.get('/api/projects', { token: second })).status).toBe(401);
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM user_sessions WHERE user_id = $1', [person.id]);
      expect(rows[0].n).toBe(0);
      expect((await http.patch(`/api/users/${person.id}`, { disabled: false }, { token: admin.token })).status).toBe(200);
      expect((await http.post('/api/auth/login', { email: person.email, password: person.password })).status).toBe(200);
    });

    it('refuses an expired session', async () => {
      const token = await signIn(http, TEST_ADMIN.email, TEST_ADMIN.password);
      await db.pool.query("UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [sha256(token)]);
      expect((await http.get('/api/auth/me', { token })).status).toBe(401);
    });

    it('slides the expiry of a session in use, and renews its cookie', async () => {
      const token = await signIn(http, TEST_ADMIN.email, TEST_ADMIN.password);
      // As if last used two minutes ago and about to expire.
      await db.pool.query("UPDATE user_sessions SET last_seen_at = now() - interval '2 minutes', expires_at = now() + interval '30 seconds' WHERE token_hash = $1", [sha256(token)]);
      const res = await http.get('/api/auth/me', { headers: cookieHeader(token) });
      expect(res.status).toBe(200);
      const { rows } = await db.pool.query('SELECT extract(epoch FROM expires_at - now())::int AS left_s FROM user_sessions WHERE token_hash = $1', [sha256(token)]);
      // Default TTL: 12 hours.
      expect(rows[0].left_s).toBeGreaterThan(12 * 3600 - 120);
      const renewed = setCookie(res.headers, 'arbiter_session');
      expect(renewed?.value).toBe(token);
      const expires = new Date(renewed!.attributes.find((a) => a.toLowerCase().startsWith('expires='))!.slice('expires='.length));
      expect(expires.getTime()).toBeGreaterThan(Date.now() + 12 * 3600 * 1000 - 120_000);
    });
  });

  describe('housekeeping', () => {
    it('deletes expired sessions and ended sign-in counters, and nothing live or foreign', async () => {
      const live = await signIn(http, TEST_ADMIN.email, TEST_ADMIN.password);
      const stale = await signIn(http, TEST_ADMIN.email, TEST_ADMIN.password);
      await db.pool.query("UPDATE user_sessions SET expires_at = now() - interval '1 minute' WHERE token_hash = $1", [sha256(stale)]);
      await db.pool.query(
        `INSERT INTO rate_limit_buckets (key, window_start, hits) VALUES
           ('login:account:old@arbiter.test', now() - interval '1 day', 3),
           ('login:account:recent@arbiter.test', now(), 1),
           ('other:feature:old', now() - interval '1 day', 9)`,
      );
      const swept = await instance.app.get(AuthHousekeepingService).sweep();
      expect(swept.sessions).toBeGreaterThanOrEqual(1);
      expect(swept.counters).toBeGreaterThanOrEqual(1);
      const sessions = await db.pool.query('SELECT token_hash FROM user_sessions WHERE token_hash = ANY($1)', [[sha256(live), sha256(stale)]]);
      expect(sessions.rows).toEqual([{ token_hash: sha256(live) }]);
      const buckets = await db.pool.query("SELECT key FROM rate_limit_buckets WHERE key IN ('login:account:old@arbiter.test', 'login:account:recent@arbiter.test', 'other:feature:old') ORDER BY key");
      expect(buckets.rows.map((r) => r.key)).toEqual(['login:account:recent@arbiter.test', 'other:feature:old']);
      expect((await http.get('/api/auth/me', { token: live })).status).toBe(200);
    });
  });

  describe('secrets at rest', () => {
    it('stores argon2id password hashes and only the SHA-256 of session tokens, and no secret in clear anywhere', async () => {
      const person = await createUser(http, admin.token, 'viewer');
      const users = await db.pool.query('SELECT email, password_hash FROM users');
      expect(users.rows.length).toBeGreaterThan(1);
      for (const row of users.rows) expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);

      const columns = await db.pool.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'user_sessions' ORDER BY column_name",
      );
      expect(columns.rows.map((r) => r.column_name)).toEqual(['created_at', 'expires_at', 'id', 'last_seen_at', 'token_hash', 'user_agent', 'user_id']);
      const mine = await db.pool.query('SELECT token_hash FROM user_sessions WHERE user_id = $1', [person.id]);
      expect(mine.rows.map((r) => r.token_hash)).toEqual([sha256(person.token)]);

      // Every row of every table, as text: neither a password nor a live session token appears.
      const secrets = [TEST_ADMIN.password, person.password, person.token, admin.token];
      const dump = await dumpAllTables(db.pool);
      for (const secret of secrets) expect(dump.includes(secret)).toBe(false);
      expect(dump).toContain(sha256(person.token));
    });
  });
});

