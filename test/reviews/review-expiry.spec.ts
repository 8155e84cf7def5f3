import { ArbiterClient, type Verdict } from '@arbiter-ai/sdk';
import { AgentSocket } from '../support/agent-socket.js';
import { waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type ReviewsWorld, hitlProject, reviewsWorld } from './support.js';

describe('review expiry', () => {
  let world: ReviewsWorld;
  let { db, one, two, http1, http2, admin, reviewer } = {} as ReviewsWorld;
  const clients: ArbiterClient[] = [];
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    ({ db, one, two, http1, http2, admin, reviewer } = world);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await world?.close();
  });

  /** Leaves a review alone (5 s window, the shortest a project allows) and reports what the SDK got and when. */
  async function leftAlone(opts: Parameters<typeof hitlProject>[2], label: string): Promise<{ verdict: Verdict; receivedAt: number; reviewId: string }> {
    const project = await hitlProject(http1, admin.token, { reviewTimeoutSeconds: 5, ...opts });
    let reviewId: string | undefined;
    const client = await ArbiterClient.connect({ url: one.wsUrl, apiKey: project.key, sessionId: label, onPending: (_e, r) => (reviewId = r) });
    clients.push(client);
    const verdict = await client.decide({ ...DESTRUCTIVE }, { timeoutMs: 20_000 });
    const receivedAt = Date.now();
    return { verdict, receivedAt, reviewId: reviewId! };
  }

  it('expires a review left alone within 2 s of expires_at with the timeout decision (source timeout), as the rule or else the project says', async () => {
    const cases = await Promise.all([
      leftAlone({}, 'project-default-block'),
      leftAlone({ ruleTimeoutDecision: 'allow' }, 'rule-allow'),
      leftAlone({ projectTimeoutDecision: 'allow' }, 'project-allow'),
      leftAlone({ projectTimeoutDecision: 'allow', ruleTimeoutDecision: 'block' }, 'rule-block-over-project-allow'),
    ]);
    expect(cases.map((c) => [c.verdict.decision, c.verdict.source])).toEqual([
      ['block', 'timeout'],
      ['allow', 'timeout'],
      ['allow', 'timeout'],
      ['block', 'timeout'],
    ]);
    for (const c of cases) {
      expect(c.verdict.review_id).toBe(c.reviewId);
      const row = (await db.pool.query('SELECT status, expires_at, decided_at FROM reviews WHERE id = $1', [c.reviewId])).rows[0];
      expect(row.status).toBe('expired');
      const lateBy = c.receivedAt - row.expires_at.getTime();
      expect(lateBy).toBeGreaterThanOrEqual(0);
      expect(lateBy).toBeLessThan(2000);
      const verdicts = await db.pool.query('SELECT source FROM verdicts WHERE review_id = $1', [c.reviewId]);
      expect(verdicts.rows).toEqual([{ source: 'timeout' }]);
      const audit = await db.pool.query("SELECT actor_type FROM audit_entries WHERE action = 'review.expire' AND target_id = $1", [c.reviewId]);
      expect(audit.rows).toEqual([{ actor_type: 'system' }]);
    }

    const late = await http2.post(`/api/reviews/${cases[0].reviewId}/decision`, { decision: 'approve' }, { token: reviewer.token });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'already_decided', details: { status: 'expired' } });
  });

  it('answers 409 for a decision after the deadline even before the sweeper has run', async () => {
    const project = await hitlProject(http1, admin.token);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'deadline');
    sockets.push(agent);
    const pending = await agent.decide('late-1', { ...DESTRUCTIVE });
    // A KEY SHARE lock keeps every sweeper off the row (their FOR UPDATE SKIP LOCKED skips it) while still letting a
    // plain UPDATE through: the decision alone must notice that the window has closed.
    const locker = await db.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM reviews WHERE id = $1 FOR KEY SHARE', [pending.review_id]);
      await db.pool.query("UPDATE reviews SET expires_at = now() - interval '1 second' WHERE id = $1", [pending.review_id]);
      const res = await http1.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'already_decided', details: { status: 'pending', window_closed: true } });
      expect((await db.pool.query('SELECT count(*)::int AS n FROM verdicts WHERE review_id = $1', [pending.review_id])).rows[0].n).toBe(0);
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    const verdict = await agent.verdictFor('late-1', 5000);
    expect(verdict).toMatchObject({ decision: 'block', source: 'timeout' });
  });

  it('gives each of many reviews exactly one verdict when two sweepers and reviewers on two instances race at the deadline', async () => {
    const project = await hitlProject(http1, admin.token);
    const { agent } = await AgentSocket.login(two.wsUrl, project.key, 'race-the-sweeper');
    sockets.push(agent);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await agent.decide(`race-${i}`, { ...DESTRUCTIVE })).review_id);
    const deadline = (await db.pool.query("UPDATE reviews SET expires_at = now() + interval '1500 milliseconds' WHERE id = ANY($1::uuid[]) RETURNING expires_at", [ids])).rows[0]
      .expires_at as Date;
    await new Promise((r) => setTimeout(r, Math.max(0, deadline.getTime() - Date.now() - 30)));
    const answers = await Promise.all(ids.map((id, i) => (i % 2 ? http1 : http2).post(`/api/reviews/${id}/decision`, { decision: 'approve' }, { token: reviewer.token })));
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);

    await waitFor('every review to be settled', async () => {
      const open = await db.pool.query("SELECT count(*)::int AS n FROM reviews WHERE id = ANY($1::uuid[]) AND status = 'pending'", [ids]);
      return open.rows[0].n === 0 ? true : undefined;
    }, 5000);
    const rows = await db.pool.query(
      `SELECT r.id, r.status, array_agg(v.source::text) AS sources FROM reviews r LEFT JOIN verdicts v ON v.review_id = r.id
        WHERE r.id = ANY($1::uuid[]) GROUP BY r.id, r.status`,
      [ids],
    );
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    ids.forEach((id, i) => {
      const row = byId.get(id)!;
      if (answers[i].status === 200) expect(row).toMatchObject({ status: 'approved', sources: ['review'] });
      else expect(row).toMatchObject({ status: 'expired', sources: ['timeout'] });
    });
    for (let i = 0; i < 30; i++) {
      const verdict = await agent.verdictFor(`race-${i}`, 5000);
      expect(verdict.source).toBe(answers[i].status === 200 ? 'review' : 'timeout');
    }
  });
});
