import { randomBytes } from 'node:crypto';
import { type SignedInApp, createProject, signedInApp } from '../support/fixtures.js';

const name = () => `project-${randomBytes(4).toString('hex')}`;

describe('projects', () => {
  let world: SignedInApp;
  let { db, instance, http, admin } = {} as SignedInApp;

  beforeAll(async () => {
    world = await signedInApp();
    ({ db, instance, http, admin } = world);
  });

  afterAll(() => world?.close());

  it('creates a project with the documented defaults and answers it with its id (201)', async () => {
    const res = await http.post('/api/projects', { name: 'payments', mode: 'hitl' }, { token: admin.token });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      expect.objectContaining({ id: expect.any(String), name: 'payments', mode: 'hitl', review_timeout_seconds: 300, timeout_decision: 'block' }),
    );
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    const plain = await http.post('/api/projects', { name: name() }, { token: admin.token });
    expect(plain.body).toEqual(expect.objectContaining({ mode: 'block', review_timeout_seconds: 300, timeout_decision: 'block' }));
  });

  it('gets one project by id, and answers 404 for an unknown one and 400 for a malformed id', async () => {
    const created = await createProject(http, admin.token, { mode: 'monitor' });
    const res = await http.get(`/api/projects/${created.id}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ id: created.id, name: created.name, mode: 'monitor' }));
    const missing = await http.get('/api/projects/00000000-0000-4000-8000-000000000000', { token: admin.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await http.get('/api/projects/nope', { token: admin.token })).status).toBe(400);
  });

  it('changes only the fields sent', async () => {
    const created = await createProject(http, admin.token, { mode: 'block' });
    const res = await http.patch(`/api/projects/${created.id}`, { mode: 'hitl', review_timeout_seconds: 60, timeout_decision: 'allow' }, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ id: created.id, name: created.name, mode: 'hitl', review_timeout_seconds: 60, timeout_decision: 'allow' }));
    const renamed = await http.patch(`/api/projects/${created.id}`, { name: `${created.name}-renamed` }, { token: admin.token });
    expect(renamed.body).toEqual(expect.objectContaining({ name: `${created.name}-renamed`, mode: 'hitl', review_timeout_seconds: 60 }));
    expect((await http.patch('/api/projects/00000000-0000-4000-8000-000000000000', { mode: 'hitl' }, { token: admin.token })).status).toBe(404);
  });

  it('refuses a duplicate name on create and on rename (409)', async () => {
    const a = await createProject(http, admin.token);
    const b = await createProject(http, admin.token);
    const dup = await http.post('/api/projects', { name: a.name }, { token: admin.token });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect((await http.patch(`/api/projects/${b.id}`, { name: a.name }, { token: admin.token })).status).toBe(409);
  });

  it('creates one project when the same name is sent three times at once', async () => {
    const wanted = name();
    const results = await Promise.all([0, 1, 2].map(() => http.post('/api/projects', { name: wanted }, { token: admin.token })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM projects WHERE name = $1', [wanted]);
    expect(rows[0].n).toBe(1);
  });

  it('validates at the edge, naming the field, and refuses unknown fields and nulls', async () => {
    const cases: [string, unknown, string][] = [
      ['POST', { name: name(), mode: 'strict' }, 'mode'],
      ['POST', { name: name(), review_timeout_seconds: 1 }, 'review_timeout_seconds'],
      ['POST', { name: name(), review_timeout_seconds: '300' }, 'review_timeout_seconds'],
      ['POST', { name: name(), timeout_decision: 'maybe' }, 'timeout_decision'],
      ['POST', { name: name(), owner: 'me' }, 'owner'],
      ['POST', { mode: 'block' }, 'name'],
      ['POST', { name: '' }, 'name'],
      ['PATCH', { name: null }, 'name'],
      ['PATCH', { mode: null }, 'mode'],
      ['PATCH', { id: '00000000-0000-4000-8000-000000000000' }, 'id'],
    ];
    const target = await createProject(http, admin.token);
    for (const [method, body, field] of cases) {
      const res = method === 'POST' ? await http.post('/api/projects', body, { token: admin.token }) : await http.patch(`/api/projects/${target.id}`, body, { token: admin.token });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 'validation_failed' });
      expect(res.body.error.message).toContain(field);
    }
    const unchanged = await http.get(`/api/projects/${target.id}`, { token: admin.token });
    expect(unchanged.body.name).toBe(target.name);
  });

  it('refuses a review timeout above the review window, leaving nothing behind', async () => {
    const wanted = name();
    const res = await http.post('/api/projects', { name: wanted, review_timeout_seconds: 7200, review_max_timeout_seconds: 3600 }, { token: admin.token });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('review_timeout_seconds');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM projects WHERE name = $1', [wanted]);
    expect(rows[0].n).toBe(0);
  });

  it('lists projects newest first, a page at a time, without repeats', async () => {
    for (let i = 0; i < 5; i++) await createProject(http, admin.token);
    const all: { id: string; created_at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { items: { id: string; created_at: string }[]; next_cursor: string | null } } = await http.get(
        `/api/projects?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: admin.token },
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      all.push(...res.body.items);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    const { rows } = await db.pool.query('SELECT id FROM projects ORDER BY created_at DESC, id DESC');
    expect(all.map((p) => p.id)).toEqual(rows.map((r) => r.id));
    expect(pages).toBeGreaterThanOrEqual(3);
    expect((await http.get('/api/projects?limit=0', { token: admin.token })).status).toBe(400);
    expect((await http.get('/api/projects?cursor=garbage', { token: admin.token })).status).toBe(400);
    // Well-formed, but its id is not one of ours: still a 400, never a database error.
    expect((await http.get(`/api/projects?cursor=${Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url')}`, { token: admin.token })).status).toBe(400);
  });
});
