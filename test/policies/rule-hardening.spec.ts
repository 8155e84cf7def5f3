import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { PolicyCache } from '../../src/policies/policy-cache.service.js';
import { AgentSocket } from '../support/agent-socket.js';
import { type ProjectInput, type SignedInApp, createApiKey, createProject, signedInApp } from '../support/fixtures.js';

/** Catastrophic for a backtracking engine: about 2^n steps over n word characters not followed by ';'. */
const FREEZING_PATTERN = '(\\w+\\s?)+;';
/** A glob whose RegExp translation backtracked for 31 s over a 200-character tool name. */
const FREEZING_GLOB = `${'*a'.repeat(5)}*b`;
const DESTRUCTIVE = { tool: 'shell.*', input_pattern: 'rm\\s+-rf', action: 'block', reason: 'destructive command' };

describe('rule patterns and globs (issue 15, items 1 and 4)', () => {
  let world: SignedInApp;
  let eventSeq = 0;

  beforeAll(async () => {
    world = await signedInApp();
  });

  afterAll(() => world?.close());

  /** A project in `mode` with `rules`, and one agent logged in to it. */
  async function agentWith(rules: unknown[], projectInput: ProjectInput = { mode: 'block' }, defaultAction = 'allow'): Promise<{ agent: AgentSocket; projectId: string }> {
    const { http, admin } = world;
    const project = await createProject(http, admin.token, projectInput);
    const put = await http.put(`/api/projects/${project.id}/rules`, { default_action: defaultAction, rules }, { token: admin.token });
    expect(put.status).toBe(200);
    const key = await createApiKey(http, admin.token, project.id);
    const { agent } = await AgentSocket.login(world.instance.wsUrl, key.key, `agent-${project.id}`);
    return { agent, projectId: project.id };
  }

  async function verdict(agent: AgentSocket, event: Record<string, unknown>): Promise<{ decision: string; reason: string }> {
    const frame = await agent.decide(`e${eventSeq++}`, event);
    expect(frame.type).toBe('verdict');
    return frame;
  }

  it("does not let one project's catastrophic pattern or glob delay another project's verdict or /healthz", async () => {
    const slow = await agentWith([
      { input_pattern: FREEZING_PATTERN, action: 'block', reason: 'statement' },
      { tool: FREEZING_GLOB, action: 'block', reason: 'glob' },
    ]);
    const other = await agentWith([DESTRUCTIVE]);
    try {
      // Both policies are cached first, so the slow project's rules run as soon as its event arrives.
      expect((await verdict(slow.agent, { kind: 'llm', input: 'a;' })).decision).toBe('block');
      expect((await verdict(other.agent, { kind: 'tool', tool: 'fs.read', input: { path: '/tmp/x' } })).decision).toBe('allow');

      const started = performance.now();
      slow.agent.send({ type: 'event', event_id: 'freeze-pattern', kind: 'tool', tool: 'x', input: { q: `${'a'.repeat(40)}!` } });
      slow.agent.send({ type: 'event', event_id: 'freeze-glob', kind: 'tool', tool: 'a'.repeat(200), input: null });
      const otherVerdict = verdict(other.agent, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /srv' } }).then((v) => ({ v, ms: performance.now() - started }));
      const health = world.http.get('/healthz').then((res) => ({ status: res.status, ms: performance.now() - started }));

      const [o, h] = await Promise.all([otherVerdict, health]);
      expect(o.v.decision).toBe('block');
      expect(o.ms).toBeLessThan(1000);
      expect(h.status).toBe(200);
      expect(h.ms).toBeLessThan(1000);
      // The slow project's own events are answered too: linear-time matching, nothing to refuse.
      expect((await slow.agent.verdictFor('freeze-pattern')).decision).toBe('allow');
      expect((await slow.agent.verdictFor('freeze-glob')).decision).toBe('allow');
    } finally {
      await Promise.all([slow.agent.close(), other.agent.close()]);
    }
  }, 60_000);

  it('blocks a command pushed past the old 64 Ki cut by a key that sorts first and thousands of 9e20', async () => {
    const { agent } = await agentWith([DESTRUCTIVE]);
    try {
      // 9e20 is 4 characters on the wire and 21 once re-serialised: the command sat at character ~273,000 of the JSON.
      const padding = Array.from({ length: 13000 }, () => '9e20').join(',');
      const frame = `{"type":"event","event_id":"padded","kind":"tool","tool":"shell.exec","input":{"!":[${padding}],"cmd":"rm -rf /srv/prod"}}`;
      expect(Buffer.byteLength(frame)).toBeLessThan(world.instance.config.wsMaxFrameBytes);
      agent.sendRaw(frame);
      expect(await agent.verdictFor('padded')).toMatchObject({ decision: 'block', reason: 'destructive command' });
    } finally {
      await agent.close();
    }
  });

  it('blocks a tab, a nested string and a command at the end of an input near the frame limit', async () => {
    const { agent } = await agentWith([DESTRUCTIVE]);
    try {
      const event = (input: unknown) => ({ kind: 'tool', tool: 'shell.exec', input });
      // JSON text has `rm\t-rf` there (backslash, t), which `\s` never matched.
      expect(await verdict(agent, event({ cmd: 'rm\t-rf /srv' }))).toMatchObject({ decision: 'block', reason: 'destructive command' });
      expect((await verdict(agent, event({ steps: [{ run: { argv: ['sh', '-c', 'cd / && rm  -rf srv'] } }] }))).decision).toBe('block');
      const near = { a: 'x'.repeat(world.instance.config.wsMaxFrameBytes - 200), cmd: 'rm -rf /srv' };
      expect((await verdict(agent, event(near))).decision).toBe('block');
      expect((await verdict(agent, event({ cmd: 'ls -la /srv' }))).decision).toBe('allow');
    } finally {
      await agent.close();
    }
  });

  it('refuses at save time a pattern RE2 cannot run, naming the rule and why', async () => {
    const { http, admin } = world;
    const project = await createProject(http, admin.token);
    for (const [pattern, why] of [
      ['(a)\\1', /invalid escape sequence.*no backreferences/],
      ['rm(?=\\s)', /unsupported Perl syntax.*no lookaround/],
    ] as const) {
      const res = await http.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [{ action: 'allow' }, { action: 'block', input_pattern: pattern }] }, { token: admin.token });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toMatch(/^rules\[1\]\.input_pattern: not a valid pattern: /);
      expect(res.body.error.message).toMatch(why);
    }
    const complex = await http.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [{ action: 'block', input_pattern: '(?s).{0,999}.{0,999}' }] }, { token: admin.token });
    expect(complex.status).toBe(400);
    expect(complex.body.error.message).toMatch(/^rules\[0\]\.input_pattern: not a valid pattern: too complex/);
  });

  it('fails closed on a stored pattern that no longer compiles, and logs it once', async () => {
    const { agent, projectId } = await agentWith([{ tool: 'shell.*', input_pattern: 'rm -rf', action: 'block' }, { tool: 'fs.*', input_pattern: 'ok', action: 'allow' }], { mode: 'block' }, 'review');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      // Saved before patterns were RE2: JavaScript accepted lookaround and backreferences.
      await world.db.pool.query("UPDATE policy_rules SET input_pattern = CASE position WHEN 0 THEN 'rm(?= -rf)' ELSE '(o)\\1k' END WHERE project_id = $1", [projectId]);
      world.instance.app.get(PolicyCache).invalidate(projectId);
      expect(await verdict(agent, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } })).toMatchObject({
        decision: 'block',
        reason: "rule 0's input_pattern cannot be evaluated, so it is taken to match",
      });
      // The broken allow rule never allows: the default (review, a block in block mode) decides.
      expect((await verdict(agent, { kind: 'tool', tool: 'fs.read', input: { path: 'ok' } })).decision).toBe('block');
      world.instance.app.get(PolicyCache).invalidate(projectId);
      expect((await verdict(agent, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } })).decision).toBe('block');
      const logged = warn.mock.calls.filter(([message]) => String(message).includes(`project ${projectId}:`));
      expect(logged).toHaveLength(2);
      expect(String(logged[0][0])).toMatch(/does not compile/);
    } finally {
      warn.mockRestore();
      await agent.close();
    }
  });

  it('holds an input too costly to evaluate for review in hitl mode, expiring as a block whatever the project says', async () => {
    const { agent } = await agentWith([{ input_pattern: '(?s).{0,900}Q', action: 'block' }], { mode: 'hitl', timeout_decision: 'allow' });
    try {
      const frame = await agent.decide('costly', { kind: 'llm', input: 'x'.repeat(20000) });
      expect(frame).toMatchObject({ type: 'pending', review_id: expect.any(String) });
      const review = await world.http.get(`/api/reviews/${frame.review_id}`, { token: world.admin.token });
      expect(review.status).toBe(200);
      expect(review.body).toMatchObject({ status: 'pending', timeout_decision: 'block' });
    } finally {
      await agent.close();
    }
  });
});
