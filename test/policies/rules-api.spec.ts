import { type SignedInApp, createApiKey, createProject, createUser, signedInApp } from '../support/fixtures.js';

/** Exactly the body from the issue. */
const ISSUE_BODY = {
  default_action: 'allow',
  rules: [{ kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: 'block' }],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('GET/PUT /api/projects/:id/rules', () => {
  let world: SignedInApp;
  let { db, instance, http, admin } = {} as SignedInApp;

  beforeAll(async () => {
    world = await signedInApp();
    ({ db, instance, http, admin } = world);
  });

  afterAll(() => world?.close());

  it("starts a new project with no rules and the default action 'allow'", async () => {
    const project = await createProject(http, admin.token);
    const res = await http.get(`/api/projects/${project.id}/rules`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ project_id: project.id, default_action: 'allow', rules: [], updated_at: expect.any(String) });
  });

  it("round-trips exactly the issue's body", async () => {
    const project = await createProject(http, admin.token);
    const put = await http.put(`/api/projects/${project.id}/rules`, ISSUE_BODY, { token: admin.token });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      project_id: project.id,
      default_action: 'allow',
      rules: [{ id: expect.stringMatching(UUID), position: 0, ...ISSUE_BODY.rules[0] }],
      updated_at: expect.any(String),
    });
    expect(new Date(put.body.updated_at).toISOString()).toBe(put.body.updated_at);
    const get = await http.get(`/api/projects/${project.id}/rules`, { token: admin.token });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(put.body);
  });

  it('fills every optional rule field left out with null, and keeps the order given', async () => {
    const project = await createProject(http, admin.token);
    const body = { default_action: 'block', rules: [{ action: 'allow', tool: 'fs.read' }, { action: 'review' }, { action: 'block', kind: 'llm', input_pattern: 'secret', reason: null }] };
    const put = await http.put(`/api/projects/${project.id}/rules`, body, { token: admin.token });
    expect(put.status).toBe(200);
    expect(put.body.default_action).toBe('block');
    expect(put.body.rules.map(({ id: _id, ...rest }: Record<string, unknown>) => rest)).toEqual([
      { position: 0, kind: null, tool: 'fs.read', input_pattern: null, action: 'allow', reason: null, timeout_decision: null },
      { position: 1, kind: null, tool: null, input_pattern: null, action: 'review', reason: null, timeout_decision: null },
      { position: 2, kind: 'llm', tool: null, input_pattern: 'secret', action: 'block', reason: null, timeout_decision: null },
    ]);
  });

  it('replaces the whole list: earlier rules are gone and positions restart at 0', async () => {
    const project = await createProject(http, admin.token);
    const three = { default_action: 'allow', rules: [{ action: 'block', tool: 'a' }, { action: 'block', tool: 'b' }, { action: 'block', tool: 'c' }] };
    const first = await http.put(`/api/projects/${project.id}/rules`, three, { token: admin.token });
    expect(first.status).toBe(200);
    const second = await http.put(`/api/projects/${project.id}/rules`, { default_action: 'review', rules: [{ action: 'allow', tool: 'z' }] }, { token: admin.token });
    expect(second.status).toBe(200);
    expect(second.body.rules).toHaveLength(1);
    expect(second.body.rules[0]).toMatchObject({ position: 0, tool: 'z', action: 'allow' });
    const stored = await db.pool.query('SELECT position, tool_glob FROM policy_rules WHERE project_id = $1 ORDER BY position', [project.id]);
    expect(stored.rows).toEqual([{ position: 0, tool_glob: 'z' }]);
    const cleared = await http.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [] }, { token: admin.token });
    expect(cleared.status).toBe(200);
    expect(cleared.body.rules).toEqual([]);
    expect((await db.pool.query('SELECT 1 FROM policy_rules WHERE project_id = $1', [project.id])).rowCount).toBe(0);
  });

  it('refuses a pattern that does not compile, naming the rule and field, and changes nothing', async () => {
    const project = await createProject(http, admin.token);
    await http.put(`/api/projects/${project.id}/rules`, ISSUE_BODY, { token: admin.token });
    const body = {
      default_action: 'block',
      rules: [{ action: 'allow' }, { action: 'allow' }, { action: 'allow', input_pattern: 'fine' }, { action: 'block', input_pattern: '(unclosed' }],
    };
    const res = await http.put(`/api/projects/${project.id}/rules`, body, { token: admin.token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/^rules\[3\]\.input_pattern: not a valid pattern: missing closing \): `\(unclosed` \(patterns are RE2 syntax: .+\)$/);
    const after = await http.get(`/api/projects/${project.id}/rules`, { token: admin.token });
    expect(after.body.default_action).toBe('allow');
    expect(after.body.rules).toHaveLength(1);
  });

  it('refuses unknown fields, at the top level and inside a rule', async () => {
    const project = await createProject(http, admin.token);
    const top = await http.put(`/api/projects/${project.id}/rules`, { ...ISSUE_BODY, mode: 'hitl' }, { token: admin.token });
    expect(top.status).toBe(400);
    expect(top.body.error).toEqual({ code: 'validation_failed', message: 'mode: unknown field' });
    const inRule = await http.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [{ action: 'block', priority: 1 }] }, { token: admin.token });
    expect(inRule.status).toBe(400);
    expect(inRule.body.error.code).toBe('validation_failed');
    expect(inRule.body.error.message).toMatch(/priority: unknown field/);
  });

  it('validates every rule field and the list size', async () => {
    const project = await createProject(http, admin.token);
    const put = (body: unknown) => http.put(`/api/projects/${project.id}/rules`, body, { token: admin.token });
    const cases: Array<[unknown, RegExp]> = [
      [{ rules: [] }, /default_action/],
      [{ default_action: 'maybe', rules: [] }, /default_action/],
      [{ default_action: 'allow' }, /rules/],
      [{ default_action: 'allow', rules: [{}] }, /action/],
      [{ default_action: 'allow', rules: [{ action: 'escalate' }] }, /action/],
      [{ default_action: 'allow', rules: [{ action: 'block', kind: 'http' }] }, /kind/],
      [{ default_action: 'allow', rules: [{ action: 'block', tool: 'shell exec' }] }, /tool/],
      [{ default_action: 'allow', rules: [{ action: 'block', tool: 'a'.repeat(201) }] }, /tool/],
      [{ default_action: 'allow', rules: [{ action: 'block', input_pattern: 'x'.repeat(1001) }] }, /input_pattern/],
      [{ default_action: 'allow', rules: [{ action: 'block', reason: 'r'.repeat(501) }] }, /reason/],
      [{ default_action: 'allow', rules: [{ action: 'block', timeout_decision: 'review' }] }, /timeout_decision/],
      [{ default_action: 'allow', rules: Array.from({ length: 501 }, () => ({ action: 'block' })) }, /rules/],
      [{ default_action: 'allow', rules: ['block'] }, /rules/],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 'validation_failed' });
      expect(res.body.error.message).toMatch(field);
    }
    // Patterns of up to 1,000 characters each, and 20,000 RE2 instructions in all (a literal of n characters is n + 2).
    const rules = (patternOf: (i: number) => string) =>
      Array.from({ length: 500 }, (_, i) => ({ action: 'block', tool: `${'t'.repeat(195)}.${i}`.slice(-200), input_pattern: patternOf(i), reason: 'r'.repeat(500) }));
    const limits = await put({ default_action: 'allow', rules: rules((i) => (i === 0 ? 'p'.repeat(1000) : `${i}`.padEnd(36, 'p'))) });
    expect(limits.status).toBe(200);
    expect(limits.body.rules).toHaveLength(500);
    expect(limits.body.rules[499].position).toBe(499);
    const over = await put({ default_action: 'allow', rules: rules((i) => `${i}`.padEnd(39, 'p')) });
    expect(over.status).toBe(400);
    expect(over.body.error).toEqual({ code: 'validation_failed', message: 'rules: the input patterns compile to 20500 RE2 instructions in all, at most 20000' });
  });

  it('lets viewers and reviewers read the rules but not change them; admins can', async () => {
    const project = await createProject(http, admin.token);
    const viewer = await createUser(http, admin.token, 'viewer');
    const reviewer = await createUser(http, admin.token, 'reviewer');
    for (const user of [viewer, reviewer]) {
      const read = await http.get(`/api/projects/${project.id}/rules`, { token: user.token });
      expect(read.status).toBe(200);
      const write = await http.put(`/api/projects/${project.id}/rules`, ISSUE_BODY, { token: user.token });
      expect(write.status).toBe(403);
      expect(write.body.error.code).toBe('forbidden');
    }
    expect((await db.pool.query('SELECT 1 FROM policy_rules WHERE project_id = $1', [project.id])).rowCount).toBe(0);
    const byAdmin = await http.put(`/api/projects/${project.id}/rules`, ISSUE_BODY, { token: admin.token });
    expect(byAdmin.status).toBe(200);
  });

  it('refuses anonymous callers and API keys', async () => {
    const project = await createProject(http, admin.token);
    const key = await createApiKey(http, admin.token, project.id);
    expect((await http.get(`/api/projects/${project.id}/rules`)).status).toBe(401);
    expect((await http.put(`/api/projects/${project.id}/rules`, ISSUE_BODY)).status).toBe(401);
    expect((await http.get(`/api/projects/${project.id}/rules`, { token: key.key })).status).toBe(403);
    expect((await http.put(`/api/projects/${project.id}/rules`, ISSUE_BODY, { token: key.key })).status).toBe(403);
  });

  it('answers 404 for a project that does not exist, and 400 for an id that is not a UUID', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const get = await http.get(`/api/projects/${missing}/rules`, { token: admin.token });
    expect(get.status).toBe(404);
    expect(get.body.error.code).toBe('not_found');
    const put = await http.put(`/api/projects/${missing}/rules`, ISSUE_BODY, { token: admin.token });
    expect(put.status).toBe(404);
    expect(put.body.error.code).toBe('not_found');
    expect((await http.get('/api/projects/not-a-uuid/rules', { token: admin.token })).status).toBe(400);
  });

  it('writes a policy.update audit entry with the default action and rule count', async () => {
    const project = await createProject(http, admin.token);
    const res = await http.put(`/api/projects/${project.id}/rules`, { ...ISSUE_BODY, default_action: 'block' }, { token: admin.token });
    expect(res.status).toBe(200);
    const audit = await db.pool.query(
      "SELECT actor_type, actor_id, target_type, target_id, details FROM audit_entries WHERE action = 'policy.update' AND target_id = $1",
      [project.id],
    );
    expect(audit.rows).toEqual([
      {
        actor_type: 'user',
        actor_id: admin.id,
        target_type: 'project',
        target_id: project.id,
        details: expect.objectContaining({ project_id: project.id, default_action: 'block', previous_default_action: 'allow', rule_count: 1, change_count: 1 }),
      },
    ]);
  });

  it('serialises concurrent replacements: all succeed and the result is exactly one of them', async () => {
    const project = await createProject(http, admin.token);
    const bodies = Array.from({ length: 8 }, (_, n) => ({
      default_action: n % 2 === 0 ? 'allow' : 'block',
      rules: Array.from({ length: 3 + n }, (_, i) => ({ action: 'block', tool: `writer${n}.rule${i}` })),
    }));
    const results = await Promise.all(bodies.map((body) => http.put(`/api/projects/${project.id}/rules`, body, { token: admin.token })));
    expect(results.map((r) => r.status)).toEqual(bodies.map(() => 200));
    const final = await http.get(`/api/projects/${project.id}/rules`, { token: admin.token });
    const writer = Number(/^writer(\d+)\./.exec(final.body.rules[0].tool)![1]);
    expect(final.body.default_action).toBe(bodies[writer].default_action);
    expect(final.body.rules.map((r: { position: number; tool: string }) => [r.position, r.tool])).toEqual(
      bodies[writer].rules.map((r, i) => [i, r.tool]),
    );
    const audits = await db.pool.query("SELECT 1 FROM audit_entries WHERE action = 'policy.update' AND target_id = $1", [project.id]);
    expect(audits.rowCount).toBe(bodies.length);
  });
});
