import { AgentSocket } from '../support/agent-socket.js';
import { type SessionsWorld, destructive, harmless, network, sessionsWorld } from '../sessions/support.js';
import { TEST_ADMIN } from '../support/app.js';
import { createUser } from '../support/fixtures.js';

describe('rules dry run and history', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    // block mode; rules: shell.* + rm -rf → review (a block in this mode), net.* → block, default allow.
    w = await sessionsWorld('block', 1);
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'dry-run');
    for (let i = 0; i < 3; i++) await agent.decide(`read-${i}`, harmless);
    await agent.decide('net-0', network);
    await agent.decide('rm-0', destructive);
    await agent.close();
  });
  afterAll(() => w?.close());

  const dryRun = (body: unknown) => w.http.post(`/api/projects/${w.projectId}/rules/dry-run`, body, { token: w.adminToken });

  it("says what a draft makes of a sample event and of the project's recent events, without saving it", async () => {
    const before = await w.http.get(`/api/projects/${w.projectId}/rules`, { token: w.adminToken });
    const res = await dryRun({
      default_action: 'allow',
      rules: [
        { kind: 'tool', tool: 'fs.*', action: 'block', reason: 'no file access' },
        { kind: 'tool', tool: 'net.*', action: 'allow' },
      ],
      sample: { kind: 'tool', tool: 'fs.read', input: { path: '/etc/passwd' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.mode).toBe('block');
    expect(res.body.sample).toEqual({ rule_index: 0, rule_action: 'block', decision: 'block', reason: 'no file access', not_evaluated: false });
    // Recorded: 3 reads allowed, net blocked, rm blocked (review in block mode). Draft: reads blocked, net allowed, rm allowed.
    expect(res.body.recent).toMatchObject({ evaluated: 5, blocked: 3, reviewed: 0, allowed: 2, changed: 5, not_evaluated: 0, stopped_early: false });
    expect(res.body.recent.changed_examples).toHaveLength(5);
    expect(res.body.recent.changed_examples[0]).toMatchObject({ event_id: 'rm-0', recorded: 'block', draft: 'allow', rule_index: null, reason: 'default action' });
    expect((await w.http.get(`/api/projects/${w.projectId}/rules`, { token: w.adminToken })).body).toEqual(before.body);
  });

  it('reports an input the engine does not evaluate as it would: refused, never the default', async () => {
    const res = await dryRun({
      default_action: 'allow',
      rules: [{ input_pattern: 'a{1000}b', action: 'allow' }],
      sample: { kind: 'tool', tool: 'x', input: { text: 'a'.repeat(20_000) } },
    });
    expect(res.status).toBe(200);
    expect(res.body.sample).toMatchObject({ rule_index: null, rule_action: 'review', decision: 'block', not_evaluated: true });
    expect(res.body.sample.reason).toMatch(/input not evaluated/);
  });

  it('validates the draft exactly as PUT rules does, naming the rule', async () => {
    const res = await dryRun({ default_action: 'allow', rules: [{ action: 'allow' }, { input_pattern: '(?=x)', action: 'block' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^rules\[1\]\.input_pattern: not a valid pattern/);
    expect((await dryRun({ default_action: 'sometimes', rules: [] })).status).toBe(400);
    expect((await dryRun({ default_action: 'allow', rules: [], sample: { kind: 'tool', extra: 1 } })).status).toBe(400);
    const reviewer = await createUser(w.http, w.adminToken, 'reviewer');
    expect((await w.http.post(`/api/projects/${w.projectId}/rules/dry-run`, { default_action: 'allow', rules: [] }, { token: reviewer.token })).status).toBe(403);
  });

  it('keeps who changed the rules, when and what changed', async () => {
    const current = (await w.http.get(`/api/projects/${w.projectId}/rules`, { token: w.adminToken })).body;
    const rules = current.rules.map(({ kind, tool, input_pattern, action, reason, timeout_decision }: Record<string, unknown>) => ({ kind, tool, input_pattern, action, reason, timeout_decision }));
    rules[1] = { ...rules[1], action: 'review', reason: 'ask first' };
    expect((await w.http.put(`/api/projects/${w.projectId}/rules`, { default_action: 'block', rules }, { token: w.adminToken })).status).toBe(200);
    const history = await w.http.get(`/api/projects/${w.projectId}/rules/history`, { token: w.adminToken });
    expect(history.status).toBe(200);
    expect(history.body.items[0]).toMatchObject({
      actor_email: TEST_ADMIN.email,
      default_action: 'block',
      previous_default_action: 'allow',
      rule_count: 2,
      change_count: 1,
      changes: [{ position: 1, before: { tool: 'net.*', action: 'block', reason: 'no network' }, after: { tool: 'net.*', action: 'review', reason: 'ask first' } }],
    });
    expect(history.body.items).toHaveLength(2);
  });
});
