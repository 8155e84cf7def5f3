import { randomUUID } from 'node:crypto';
import { TEST_ADMIN } from '../support/app.js';
import { type SignedInApp, apiKeySecret, createApiKey, createProject, createUser, signIn, signedInApp } from '../support/fixtures.js';
import type { RequestOptions } from '../support/http.js';

interface AuditItem {
  id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  at: string;
  request_id: string | null;
}

const MAX_FAILURES = 3;

describe('audit log', () => {
  let world: SignedInApp;
  let { db, instance, http, admin } = {} as SignedInApp;

  beforeAll(async () => {
    world = await signedInApp({ loginMaxFailures: MAX_FAILURES, loginMaxFailuresPerAddress: 1000 });
    ({ db, instance, http, admin } = world);
  });

  afterAll(() => world?.close());

  /** Sends a request with a request id of its own, so the audit entry it caused can be found. */
  const traced = (options: RequestOptions = {}) => {
    const requestId = `req-${randomUUID()}`;
    return { requestId, options: { ...options, headers: { ...options.headers, 'x-request-id': requestId } } };
  };

  /** The entries a request wrote, read through the API (newest first, all pages) and checked against the table. */
  async function entriesOf(requestId: string): Promise<AuditItem[]> {
    const found: AuditItem[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: AuditItem[]; next_cursor: string | null } } = await http.get(`/api/audit?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: admin.token });
      expect(res.status).toBe(200);
      found.push(...res.body.items.filter((e) => e.request_id === requestId));
      cursor = res.body.next_cursor;
    } while (cursor);
    const { rows } = await db.pool.query('SELECT id::text, action FROM audit_entries WHERE request_id = $1 ORDER BY id DESC', [requestId]);
    expect(found.map((e) => [e.id, e.action])).toEqual(rows.map((r) => [r.id, r.action]));
    return found;
  }

  async function onlyEntryOf(requestId: string): Promise<AuditItem> {
    const entries = await entriesOf(requestId);
    expect(entries).toHaveLength(1);
    return entries[0];
  }

  describe('an entry for each audited action, with actor, target and request id', () => {
    it('bootstrap of the first admin', async () => {
      const res = await http.get('/api/audit?action=user.bootstrap_admin', { token: admin.token });
      expect(res.body.items).toEqual([expect.objectContaining({ actor_type: 'system', actor_id: null, target_type: 'user', target_id: admin.id })]);
    });

    it('sign-in success', async () => {
      const t = traced();
      const res = await http.post('/api/auth/login', TEST_ADMIN, t.options);
      expect(res.status).toBe(200);
      const entry = await onlyEntryOf(t.requestId);
      expect(entry).toEqual(expect.objectContaining({ action: 'auth.login', actor_type: 'user', actor_id: admin.id, target_type: 'user', target_id: admin.id }));
      expect(entry.details).toEqual(expect.objectContaining({ ip: expect.any(String), session_id: expect.any(String) }));
    });

    it('sign-in failure, for an unknown email and for a wrong password', async () => {
      const unknown = traced();
      expect((await http.post('/api/auth/login', { email: 'ghost@arbiter.test', password: 'whatever it is' }, unknown.options)).status).toBe(401);
      expect(await onlyEntryOf(unknown.requestId)).toEqual(
        expect.objectContaining({ action: 'auth.login_failed', actor_type: 'anonymous', actor_id: null, details: expect.objectContaining({ email: 'ghost@arbiter.test', reason: 'unknown_email' }) }),
      );
      const person = await createUser(http, admin.token, 'viewer');
      const wrong = traced();
      expect((await http.post('/api/auth/login', { email: person.email, password: 'not it at all' }, wrong.options)).status).toBe(401);
      expect(await onlyEntryOf(wrong.requestId)).toEqual(
        expect.objectContaining({ action: 'auth.login_failed', actor_type: 'user', actor_id: person.id, details: expect.objectContaining({ reason: 'wrong_password' }) }),
      );
    });

    it('throttled sign-in', async () => {
      const email = `throttled-${randomUUID()}@arbiter.test`;
      for (let i = 0; i < MAX_FAILURES; i++) await http.post('/api/auth/login', { email, password: 'guess' });
      const t = traced();
      expect((await http.post('/api/auth/login', { email, password: 'guess' }, t.options)).status).toBe(429);
      expect(await onlyEntryOf(t.requestId)).toEqual(expect.objectContaining({ action: 'auth.login_throttled', actor_type: 'anonymous', details: expect.objectContaining({ email }) }));
    });

    it('user creation and change', async () => {
      const create = traced({ token: admin.token });
      const res = await http.post('/api/users', { email: `audited-${randomUUID()}@arbiter.test`, password: 'a long enough password', role: 'reviewer' }, create.options);
      expect(res.status).toBe(201);
      const created = await onlyEntryOf(create.requestId);
      expect(created).toEqual(expect.objectContaining({ action: 'user.create', actor_type: 'user', actor_id: admin.id, target_type: 'user', target_id: res.body.id }));
      expect(created.details).toEqual({ email: res.body.email, role: 'reviewer', must_change_password: false });

      const update = traced({ token: admin.token });
      expect((await http.patch(`/api/users/${res.body.id}`, { role: 'viewer', disabled: true }, update.options)).status).toBe(200);
      expect(await onlyEntryOf(update.requestId)).toEqual(
        expect.objectContaining({ action: 'user.update', actor_id: admin.id, target_id: res.body.id, details: expect.objectContaining({ role: 'viewer', disabled: true }) }),
      );
    });

    it('password change (success and a wrong current password) and sign-out', async () => {
      const person = await createUser(http, admin.token, 'viewer');
      const wrong = traced({ token: person.token });
      expect((await http.post('/api/auth/change-password', { current_password: 'nope nope nope', new_password: 'another long password' }, wrong.options)).status).toBe(403);
      expect(await onlyEntryOf(wrong.requestId)).toEqual(expect.objectContaining({ action: 'auth.change_password_failed', actor_id: person.id, target_id: person.id }));

      const other = await signIn(http, person.email, person.password);
      const change = traced({ token: person.token });
      expect((await http.post('/api/auth/change-password', { current_password: person.password, new_password: 'another long password' }, change.options)).status).toBe(204);
      expect(await onlyEntryOf(change.requestId)).toEqual(
        expect.objectContaining({ action: 'auth.change_password', actor_type: 'user', actor_id: person.id, target_id: person.id, details: { ended_sessions: 1 } }),
      );
      expect((await http.get('/api/auth/me', { token: other })).status).toBe(401);

      const logout = traced({ token: person.token });
      expect((await http.post('/api/auth/logout', undefined, logout.options)).status).toBe(204);
      expect(await onlyEntryOf(logout.requestId)).toEqual(expect.objectContaining({ action: 'auth.logout', actor_id: person.id }));
    });

    it('project creation and change', async () => {
      const create = traced({ token: admin.token });
      const res = await http.post('/api/projects', { name: `audited-${randomUUID()}`, mode: 'hitl' }, create.options);
      expect(res.status).toBe(201);
      expect(await onlyEntryOf(create.requestId)).toEqual(
        expect.objectContaining({ action: 'project.create', actor_id: admin.id, target_type: 'project', target_id: res.body.id, details: expect.objectContaining({ mode: 'hitl' }) }),
      );
      const update = traced({ token: admin.token });
      expect((await http.patch(`/api/projects/${res.body.id}`, { mode: 'monitor' }, update.options)).status).toBe(200);
      expect(await onlyEntryOf(update.requestId)).toEqual(expect.objectContaining({ action: 'project.update', target_id: res.body.id, details: { mode: 'monitor' } }));
    });

    it('API key creation and revocation, without the key', async () => {
      const project = await createProject(http, admin.token);
      const create = traced({ token: admin.token });
      const res = await http.post(`/api/projects/${project.id}/api-keys`, { name: 'audited' }, create.options);
      expect(res.status).toBe(201);
      const created = await onlyEntryOf(create.requestId);
      expect(created).toEqual(
        expect.objectContaining({ action: 'api_key.create', actor_id: admin.id, target_type: 'api_key', target_id: res.body.id, details: { project_id: project.id, name: 'audited', prefix: res.body.prefix } }),
      );
      expect(JSON.stringify(created)).not.toContain(apiKeySecret(res.body.key));
      const revoke = traced({ token: admin.token });
      expect((await http.delete(`/api/api-keys/${res.body.id}`, revoke.options)).status).toBe(204);
      expect(await onlyEntryOf(revoke.requestId)).toEqual(expect.objectContaining({ action: 'api_key.revoke', actor_id: admin.id, target_id: res.body.id }));
    });
  });

  describe('written in the same transaction as the change', () => {
    it('writes no entry when the change is refused or rolled back', async () => {
      const project = await createProject(http, admin.token);
      const refused = [
        () => http.post('/api/projects', { name: project.name }, traced({ token: admin.token }).options),
        // Inserted, then found invalid inside the transaction: the row and its entry roll back together.
        () => http.post('/api/projects', { name: `window-${randomUUID()}`, review_timeout_seconds: 7200, review_max_timeout_seconds: 3600 }, traced({ token: admin.token }).options),
        () => http.post('/api/users', { email: TEST_ADMIN.email, password: 'long enough password', role: 'viewer' }, traced({ token: admin.token }).options),
        () => http.patch('/api/users/00000000-0000-4000-8000-000000000000', { role: 'viewer' }, traced({ token: admin.token }).options),
        () => http.delete('/api/api-keys/00000000-0000-4000-8000-000000000000', traced({ token: admin.token }).options),
        () => http.post('/api/projects/00000000-0000-4000-8000-000000000000/api-keys', { name: 'x' }, traced({ token: admin.token }).options),
      ];
      for (const call of refused) {
        const before = (await db.pool.query('SELECT count(*)::int AS n FROM audit_entries')).rows[0].n;
        const res = await call();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_entries')).rows[0].n).toBe(before);
      }
    });

    it('has an entry for every project, user and key in the tables', async () => {
      const missing = await db.pool.query(`
        SELECT 'project' AS kind, p.id::text FROM projects p
          WHERE NOT EXISTS (SELECT 1 FROM audit_entries a WHERE a.action = 'project.create' AND a.target_id = p.id::text)
        UNION ALL
        SELECT 'user', u.id::text FROM users u
          WHERE NOT EXISTS (SELECT 1 FROM audit_entries a WHERE a.action IN ('user.create', 'user.bootstrap_admin') AND a.target_id = u.id::text)
        UNION ALL
        SELECT 'api_key', k.id::text FROM api_keys k
          WHERE NOT EXISTS (SELECT 1 FROM audit_entries a WHERE a.action = 'api_key.create' AND a.target_id = k.id::text)`);
      expect(missing.rows).toEqual([]);
    });
  });

  describe('GET /api/audit', () => {
    it('answers admins only', async () => {
      for (const role of ['reviewer', 'viewer'] as const) {
        const person = await createUser(http, admin.token, role);
        const res = await http.get('/api/audit', { token: person.token });
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect((await http.get('/api/audit')).status).toBe(401);
      const project = await createProject(http, admin.token);
      const key = await createApiKey(http, admin.token, project.id);
      expect((await http.get('/api/audit', { token: key.key })).status).toBe(403);
    });

    it('answers items of the documented shape, newest first', async () => {
      const res = await http.get('/api/audit?limit=20', { token: admin.token });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'next_cursor']);
      for (const item of res.body.items as AuditItem[]) {
        expect(Object.keys(item).sort()).toEqual(['action', 'actor_id', 'actor_type', 'at', 'details', 'id', 'request_id', 'target_id', 'target_type']);
        expect(item.id).toMatch(/^\d+$/);
        expect(new Date(item.at).toISOString()).toBe(item.at);
      }
      const times = (res.body.items as AuditItem[]).map((e) => e.at);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('pages through everything without gaps or repeats, in the table\'s order', async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: AuditItem[]; next_cursor: string | null } } = await http.get(`/api/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: admin.token });
        expect(res.body.items.length).toBeLessThanOrEqual(7);
        ids.push(...res.body.items.map((e) => e.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      const { rows } = await db.pool.query('SELECT id::text FROM audit_entries ORDER BY at DESC, id DESC');
      // Reading writes nothing, so the pages together are exactly the table.
      expect(ids).toEqual(rows.map((r) => r.id));
      expect(ids.length).toBeGreaterThan(14);
    });

    it('filters by actor, by action or action prefix, and by time', async () => {
      const person = await createUser(http, admin.token, 'viewer');
      await signIn(http, person.email, person.password);
      await http.post('/api/auth/login', { email: person.email, password: 'wrong password here' });

      const byActor = (await http.get(`/api/audit?actor=${person.id}`, { token: admin.token })).body.items as AuditItem[];
      expect(byActor.map((e) => e.action).sort()).toEqual(['auth.login', 'auth.login', 'auth.login_failed']);
      expect(byActor.every((e) => e.actor_id === person.id)).toBe(true);

      const byAction = (await http.get(`/api/audit?action=user.create&actor=${admin.id}`, { token: admin.token })).body.items as AuditItem[];
      expect(byAction.length).toBeGreaterThan(0);
      expect(byAction.every((e) => e.action === 'user.create')).toBe(true);

      const byPrefix = (await http.get('/api/audit?action=auth.*&limit=200', { token: admin.token })).body.items as AuditItem[];
      expect(new Set(byPrefix.map((e) => e.action.split('.')[0]))).toEqual(new Set(['auth']));
      expect(byPrefix.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.login', 'auth.login_failed', 'auth.logout']));

      const { rows } = await db.pool.query("SELECT at FROM audit_entries WHERE actor_id = $1 AND action = 'auth.login_failed'", [person.id]);
      const since = (rows[0].at as Date).toISOString();
      const recent = (await http.get(`/api/audit?since=${encodeURIComponent(since)}&actor=${person.id}`, { token: admin.token })).body.items as AuditItem[];
      expect(recent.map((e) => e.action)).toEqual(['auth.login_failed']);
      expect((await http.get(`/api/audit?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, { token: admin.token })).body).toEqual({ items: [], next_cursor: null });
    });

    it('refuses bad queries with 400 naming the parameter', async () => {
      for (const [query, field] of [
        ['since=yesterday', 'since'],
        ['action=DROP%20TABLE', 'action'],
        ['limit=201', 'limit'],
        ['limit=abc', 'limit'],
        ['who=me', 'who'],
        ['cursor=not-a-cursor', 'cursor'],
      ]) {
        const res = await http.get(`/api/audit?${query}`, { token: admin.token });
        expect({ query, status: res.status, code: res.body.error?.code }).toEqual({ query, status: 400, code: 'validation_failed' });
        expect(res.body.error.message).toContain(field);
      }
      // A cursor of the right format whose id was tampered with.
      const forged = Buffer.from(JSON.stringify([new Date().toISOString(), 'abc'])).toString('base64url');
      expect((await http.get(`/api/audit?cursor=${forged}`, { token: admin.token })).status).toBe(400);
    });

    it('holds no password, session token or API key', async () => {
      const person = await createUser(http, admin.token, 'reviewer');
      const project = await createProject(http, admin.token);
      const key = await createApiKey(http, admin.token, project.id);
      const { rows } = await db.pool.query('SELECT t::text AS row FROM audit_entries t');
      const text = rows.map((r) => r.row).join('\n');
      for (const secret of [TEST_ADMIN.password, person.password, person.token, admin.token, key.key, apiKeySecret(key.key)]) {
        expect(text.includes(secret)).toBe(false);
      }
    });
  });
});
