import { randomBytes } from 'node:crypto';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { type SignedIn, createApiKey, createProject, createUser, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

type Role = 'admin' | 'reviewer' | 'viewer';

describe('roles, per route family', () => {
  let db: TestDatabase;
  let instance: TestApp;
  let http: HttpClient;
  let people: Record<Role, SignedIn>;
  let project: { id: string };
  let apiKey: { id: string; key: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    instance = await startApp(db.url);
    http = new HttpClient(instance.url);
    const admin = await signInAdmin(http);
    people = { admin, reviewer: await createUser(http, admin.token, 'reviewer'), viewer: await createUser(http, admin.token, 'viewer') };
    project = await createProject(http, admin.token);
    apiKey = await createApiKey(http, admin.token, project.id);
  });

  afterAll(async () => {
    await instance?.close();
    await db?.drop();
  });

  /** One request of a route family, made fresh each time so that writes by the admin do not collide. */
  interface Route {
    name: string;
    call: (token: string) => ReturnType<HttpClient['request']>;
    /** The success status for an allowed caller. */
    ok: number;
  }

  const unique = () => randomBytes(4).toString('hex');
  const routes = (): Record<string, { route: Route; allowed: Role[] }[]> => ({
    users: [
      { route: { name: 'GET /api/users', call: (t) => http.get('/api/users', { token: t }), ok: 200 }, allowed: ['admin'] },
      {
        route: { name: 'POST /api/users', call: (t) => http.post('/api/users', { email: `u-${unique()}@arbiter.test`, password: 'long enough password', role: 'viewer' }, { token: t }), ok: 201 },
        allowed: ['admin'],
      },
      { route: { name: 'PATCH /api/users/:id', call: (t) => http.patch(`/api/users/${people.viewer.id}`, { role: 'viewer' }, { token: t }), ok: 200 }, allowed: ['admin'] },
    ],
    projects: [
      { route: { name: 'GET /api/projects', call: (t) => http.get('/api/projects', { token: t }), ok: 200 }, allowed: ['admin', 'reviewer', 'viewer'] },
      { route: { name: 'GET /api/projects/:id', call: (t) => http.get(`/api/projects/${project.id}`, { token: t }), ok: 200 }, allowed: ['admin', 'reviewer', 'viewer'] },
      { route: { name: 'POST /api/projects', call: (t) => http.post('/api/projects', { name: `p-${unique()}` }, { token: t }), ok: 201 }, allowed: ['admin'] },
      { route: { name: 'PATCH /api/projects/:id', call: (t) => http.patch(`/api/projects/${project.id}`, { mode: 'hitl' }, { token: t }), ok: 200 }, allowed: ['admin'] },
    ],
    'api-keys': [
      { route: { name: 'GET /api/projects/:id/api-keys', call: (t) => http.get(`/api/projects/${project.id}/api-keys`, { token: t }), ok: 200 }, allowed: ['admin'] },
      { route: { name: 'POST /api/projects/:id/api-keys', call: (t) => http.post(`/api/projects/${project.id}/api-keys`, { name: 'k' }, { token: t }), ok: 201 }, allowed: ['admin'] },
      {
        route: {
          name: 'DELETE /api/api-keys/:id',
          // Each caller gets a fresh key to try to revoke, so an allowed revoke is a real one.
          call: async (t) => http.delete(`/api/api-keys/${(await createApiKey(http, people.admin.token, project.id)).id}`, { token: t }),
          ok: 204,
        },
        allowed: ['admin'],
      },
    ],
    audit: [{ route: { name: 'GET /api/audit', call: (t) => http.get('/api/audit', { token: t }), ok: 200 }, allowed: ['admin'] }],
  });

  for (const family of ['users', 'projects', 'api-keys', 'audit']) {
    describe(family, () => {
      for (const role of ['admin', 'reviewer', 'viewer'] as Role[]) {
        it(`lets ${role}s through exactly the routes their role may use, and answers 403 forbidden elsewhere`, async () => {
          for (const { route, allowed } of routes()[family]) {
            const res = await route.call(people[role].token);
            const expected = allowed.includes(role) ? { status: route.ok } : { status: 403, code: 'forbidden' };
            const got = allowed.includes(role) ? { status: res.status } : { status: res.status, code: res.body?.error?.code };
            expect({ route: route.name, role, ...got }).toEqual({ route: route.name, role, ...expected });
          }
        });
      }

      it('answers 401 without credentials and 403 to an SDK API key', async () => {
        for (const { route } of routes()[family]) {
          const anonymous = await route.call('');
          expect({ route: route.name, status: anonymous.status }).toEqual({ route: route.name, status: 401 });
          const agent = await route.call(apiKey.key);
          expect({ route: route.name, status: agent.status, code: agent.body?.error?.code }).toEqual({ route: route.name, status: 403, code: 'forbidden' });
        }
      });
    });
  }

  it('lets every role read who they are', async () => {
    for (const role of ['admin', 'reviewer', 'viewer'] as Role[]) {
      const me = await http.get('/api/auth/me', { token: people[role].token });
      expect(me.status).toBe(200);
      expect(me.body.role).toBe(role);
    }
  });

  it('applies a role change to the sessions the user already has', async () => {
    const person = await createUser(http, people.admin.token, 'viewer');
    expect((await http.get('/api/users', { token: person.token })).status).toBe(403);
    expect((await http.patch(`/api/users/${person.id}`, { role: 'admin' }, { token: people.admin.token })).status).toBe(200);
    expect((await http.get('/api/users', { token: person.token })).status).toBe(200);
  });

  it('does not let an admin demote or disable themselves (someone must stay admin)', async () => {
    for (const patch of [{ role: 'viewer' }, { disabled: true }]) {
      const res = await http.patch(`/api/users/${people.admin.id}`, patch, { token: people.admin.token });
      expect(res.status).toBe(409);
    }
  });

  it('identifies each of many concurrent callers as themselves', async () => {
    const callers = [
      ...(['admin', 'reviewer', 'viewer'] as Role[]).map((role) => ({ token: people[role].token, expect: (body: { role?: string; kind?: string }) => body.role === role })),
      { token: apiKey.key, expect: (body: { kind?: string; api_key_id?: string }) => body.kind === 'api_key' && body.api_key_id === apiKey.id },
    ];
    const requests = Array.from({ length: 60 }, (_, i) => callers[i % callers.length]);
    const results = await Promise.all(
      requests.map(async (caller) => {
        const path = caller.token.startsWith('arb_') ? '/api/sdk/whoami' : '/api/auth/me';
        const res = await http.get(path, { token: caller.token });
        return res.status === 200 && caller.expect(res.body);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('validates user input at the edge and names the field', async () => {
    const cases: [unknown, string][] = [
      [{ email: 'not-an-email', password: 'long enough password', role: 'viewer' }, 'email'],
      [{ email: `v-${unique()}@arbiter.test`, password: 'short', role: 'viewer' }, 'password'],
      [{ email: `v-${unique()}@arbiter.test`, password: 'long enough password', role: 'owner' }, 'role'],
      [{ email: `v-${unique()}@arbiter.test`, password: 'long enough password', role: 'viewer', is_admin: true }, 'is_admin'],
    ];
    for (const [body, field] of cases) {
      const res = await http.post('/api/users', body, { token: people.admin.token });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain(field);
    }
    for (const patch of [{ role: null }, { disabled: 'yes' }, { email: 'x@y.z' }]) {
      const res = await http.patch(`/api/users/${people.viewer.id}`, patch, { token: people.admin.token });
      expect(res.status).toBe(400);
    }
    expect((await http.patch('/api/users/not-a-uuid', { role: 'viewer' }, { token: people.admin.token })).status).toBe(400);
    expect((await http.patch('/api/users/00000000-0000-4000-8000-000000000000', { role: 'viewer' }, { token: people.admin.token })).status).toBe(404);
  });

  it('refuses a second user with the same email, whatever its case (409)', async () => {
    const email = `dup-${unique()}@arbiter.test`;
    expect((await http.post('/api/users', { email, password: 'long enough password', role: 'viewer' }, { token: people.admin.token })).status).toBe(201);
    const again = await http.post('/api/users', { email: email.toUpperCase(), password: 'long enough password', role: 'viewer' }, { token: people.admin.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('lists users newest first, a page at a time, without password hashes', async () => {
    const first = await http.get('/api/users?limit=2', { token: people.admin.token });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string; created_at: string }[]; next_cursor: string | null } } = await http.get(`/api/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: people.admin.token });
      for (const user of page.body.items) {
        expect(seen.has(user.id)).toBe(false);
        seen.add(user.id);
        expect(Object.keys(user).sort()).toEqual(['created_at', 'disabled', 'email', 'id', 'must_change_password', 'role']);
      }
      cursor = page.body.next_cursor;
    } while (cursor);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM users');
    expect(seen.size).toBe(rows[0].n);
    expect((await http.get(`/api/users?cursor=${Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url')}`, { token: people.admin.token })).status).toBe(400);
  });
});
