import { randomUUID } from 'node:crypto';
import { type TestApp, TEST_ADMIN, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { apiKeySecret } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

/**
 * Boots an app at debug level with its log output captured. pino writes through `process.stdout.write` when that has
 * been replaced before the logger is made (otherwise it writes to fd 1 directly), so the capture starts first.
 */
describe('logs', () => {
  let db: TestDatabase;
  let instance: TestApp;
  let http: HttpClient;
  let captured = '';
  const originalWrite = process.stdout.write;

  beforeAll(async () => {
    db = await createTestDatabase();
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
    instance = await startApp(db.url, { logLevel: 'debug' });
    http = new HttpClient(instance.url);
  });

  afterAll(async () => {
    await instance?.close();
    process.stdout.write = originalWrite;
    await db?.drop();
  });

  it('never contain a password, a session token or an API key, at debug level', async () => {
    const marker = `trace-${randomUUID()}`;
    const headers = { 'x-request-id': marker };
    const secrets: string[] = [TEST_ADMIN.password];

    // Sign in: the password in the body, the token in the answer and in Set-Cookie.
    const login = await http.post('/api/auth/login', TEST_ADMIN, { headers });
    expect(login.status).toBe(200);
    const token = login.body.token as string;
    secrets.push(token);
    await http.post('/api/auth/login', { email: TEST_ADMIN.email, password: 'a wrong password 123' }, { headers });
    secrets.push('a wrong password 123');
    await http.post('/api/auth/login', { ...TEST_ADMIN, extra: 'field' }, { headers });

    // The token as bearer, as cookie, and (wrongly) in a query string.
    expect((await http.get('/api/auth/me', { token, headers })).status).toBe(200);
    expect((await http.get('/api/projects', { headers: { ...headers, cookie: `arbiter_session=${token}` } })).status).toBe(200);
    expect((await http.get(`/api/auth/me?access_token=${token}`, { token, headers })).status).toBe(200);

    // A user created with a password, who then changes it.
    const userPassword = `pw-${randomUUID()}`;
    const newPassword = `pw-${randomUUID()}`;
    secrets.push(userPassword, newPassword);
    const user = await http.post('/api/users', { email: `logged-${randomUUID()}@arbiter.test`, password: userPassword, role: 'viewer' }, { token, headers });
    expect(user.status).toBe(201);
    const userLogin = await http.post('/api/auth/login', { email: user.body.email, password: userPassword }, { headers });
    secrets.push(userLogin.body.token);
    expect((await http.post('/api/auth/change-password', { current_password: userPassword, new_password: newPassword }, { token: userLogin.body.token, headers })).status).toBe(204);

    // An API key: shown at creation, then used as a bearer token, then refused once revoked.
    const project = await http.post('/api/projects', { name: `logged-${randomUUID()}` }, { token, headers });
    const key = await http.post(`/api/projects/${project.body.id}/api-keys`, { name: 'logged' }, { token, headers });
    expect(key.status).toBe(201);
    secrets.push(key.body.key, apiKeySecret(key.body.key));
    expect((await http.get('/api/sdk/whoami', { token: key.body.key, headers })).status).toBe(200);
    expect((await http.delete(`/api/api-keys/${key.body.id}`, { token, headers })).status).toBe(204);
    expect((await http.get('/api/sdk/whoami', { token: key.body.key, headers })).status).toBe(401);

    // A bogus token and a logout.
    const bogus = `bogus-${randomUUID()}-token`;
    secrets.push(bogus);
    expect((await http.get('/api/auth/me', { token: bogus, headers })).status).toBe(401);
    expect((await http.post('/api/auth/logout', undefined, { token, headers })).status).toBe(204);

    // pino may flush asynchronously: wait until the last request's line is in.
    const deadline = Date.now() + 2000;
    while (!captured.includes('"url":"/api/auth/logout"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    // The capture really holds the request logs of this test…
    const lines = captured.split('\n').filter((l) => l.includes(marker));
    expect(lines.length).toBeGreaterThanOrEqual(15);
    expect(captured).toContain('"url":"/api/auth/login"');
    expect(captured).toContain('"url":"/api/sdk/whoami"');
    expect(captured).toContain('"url":"/api/auth/logout"');
    // The response header that carries the session token is logged, redacted; query strings are dropped.
    expect(captured).toContain('"set-cookie":"[redacted]"');
    expect(captured).toContain('"url":"/api/auth/me"');
    // …and none of the secrets.
    for (const secret of secrets) {
      expect({ secret: secret.slice(0, 6) + '…', logged: captured.includes(secret) }).toEqual({ secret: secret.slice(0, 6) + '…', logged: false });
    }
    expect(captured).not.toMatch(/arb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/);
    expect(captured).not.toMatch(/arbiter_session=[A-Za-z0-9_-]{20,}/);
    expect(captured).not.toContain('$argon2id$');
  });
});
