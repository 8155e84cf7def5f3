import { ArbiterClient } from '@arbiter-ai/sdk';
import { eventInputSha256 } from '@arbiter-ai/sdk/canonical';
import { AgentSocket } from '../support/agent-socket.js';
import { type SignedIn, createUser, waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type HitlProject, type ReviewsWorld, hitlProject, reviewsWorld } from './support.js';

describe('review decisions', () => {
  let world: ReviewsWorld;
  let { db, one, two, http1, http2, admin, reviewer } = {} as ReviewsWorld;
  let reviewer2: SignedIn;
  let viewer: SignedIn;
  let project: HitlProject;
  const clients: ArbiterClient[] = [];
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    ({ db, one, two, http1, http2, admin, reviewer } = world);
    reviewer2 = await createUser(http1, admin.token, 'reviewer');
    viewer = await createUser(http1, admin.token, 'viewer');
    project = await hitlProject(http1, admin.token);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await world?.close();
  });

  /** An SDK agent on instance one whose destructive call is held for review. */
  async function pendingViaSdk(sessionId: string): Promise<{ client: ArbiterClient; verdict: ReturnType<ArbiterClient['decide']>; reviewId: string; eventId: string }> {
    let pending: { eventId: string; reviewId: string } | undefined;
    const client = await ArbiterClient.connect({ url: one.wsUrl, apiKey: project.key, sessionId, onPending: (eventId, reviewId) => (pending = { eventId, reviewId }) });
    clients.push(client);
    expect(client.mode).toBe('hitl');
    const verdict = client.decide({ ...DESTRUCTIVE }, { timeoutMs: 20_000 });
    const held = await waitFor('the pending frame', async () => pending, 5000);
    return { client, verdict, reviewId: held.reviewId, eventId: held.eventId };
  }

  async function pendingViaSocket(sessionId: string, eventId = 'evt-1'): Promise<{ agent: AgentSocket; reviewId: string }> {
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, sessionId);
    sockets.push(agent);
    const frame = await agent.decide(eventId, { ...DESTRUCTIVE });
    expect(frame).toMatchObject({ type: 'pending', event_id: eventId, review_id: expect.any(String) });
    return { agent, reviewId: frame.review_id };
  }

  it('approving on instance two delivers allow (source review, bound to the call) to the SDK on instance one', async () => {
    const { verdict, reviewId, eventId } = await pendingViaSdk('sdk-approve');
    const res = await http2.post(`/api/reviews/${reviewId}/decision`, { decision: 'approve', note: 'looks fine' }, { token: reviewer.token });
    expect(res.status).toBe(200);
    expect(res.body.agent_connected).toBe(true);
    expect(res.body.review).toMatchObject({ id: reviewId, status: 'approved', decided_by: reviewer.id, note: 'looks fine', event_id: eventId });
    const expectedSha = eventInputSha256({ kind: DESTRUCTIVE.kind, tool: DESTRUCTIVE.tool, input: DESTRUCTIVE.input });
    expect(res.body.verdict).toEqual({ event_id: eventId, decision: 'allow', reason: 'approved by a reviewer: looks fine', source: 'review', review_id: reviewId, input_sha256: expectedSha });

    const got = await verdict;
    expect(got).toMatchObject({ event_id: eventId, decision: 'allow', source: 'review', review_id: reviewId, input_sha256: expectedSha });

    const rows = await db.pool.query('SELECT decision, source, review_id, input_sha256 FROM verdicts WHERE review_id = $1', [reviewId]);
    expect(rows.rows).toEqual([{ decision: 'allow', source: 'review', review_id: reviewId, input_sha256: expectedSha }]);
    const audit = await db.pool.query("SELECT actor_id, details FROM audit_entries WHERE action = 'review.decide' AND target_id = $1", [reviewId]);
    expect(audit.rows).toEqual([{ actor_id: reviewer.id, details: expect.objectContaining({ decision: 'approve', note: 'looks fine' }) }]);
  });

  it('denying delivers block with source review', async () => {
    const { verdict, reviewId } = await pendingViaSdk('sdk-deny');
    const res = await http2.post(`/api/reviews/${reviewId}/decision`, { decision: 'deny' }, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.review.status).toBe('denied');
    expect(await verdict).toMatchObject({ decision: 'block', source: 'review', review_id: reviewId, reason: 'denied by a reviewer' });
  });

  it('lets exactly one of 20 concurrent decisions across two instances win; the rest get 409 with the actual state', async () => {
    const { agent, reviewId } = await pendingViaSocket('race');
    const deciders = [reviewer, reviewer2, admin];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? http1 : http2).post(`/api/reviews/${reviewId}/decision`, { decision: i % 3 === 0 ? 'deny' : 'approve' }, { token: deciders[i % 3].token }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    const finalStatus = winners[0].body.review.status;
    for (const loser of losers) {
      expect(loser.status).toBe(409);
      expect(loser.body.error).toMatchObject({ code: 'already_decided', details: { review_id: reviewId, status: finalStatus, decided_by: winners[0].body.review.decided_by } });
    }
    const verdicts = await db.pool.query('SELECT decision FROM verdicts WHERE review_id = $1', [reviewId]);
    expect(verdicts.rows).toEqual([{ decision: finalStatus === 'approved' ? 'allow' : 'block' }]);
    const audits = await db.pool.query("SELECT count(*)::int AS n FROM audit_entries WHERE action = 'review.decide' AND target_id = $1", [reviewId]);
    expect(audits.rows[0].n).toBe(1);
    const frame = await agent.verdictFor('evt-1');
    expect(frame.decision).toBe(verdicts.rows[0].decision);
    expect(agent.framesFor('evt-1').filter((f) => f.type === 'verdict')).toHaveLength(1);
  });

  it('refuses a decision from a viewer and from an API key, and a malformed one', async () => {
    const { reviewId } = await pendingViaSocket('roles');
    expect((await http1.post(`/api/reviews/${reviewId}/decision`, { decision: 'approve' }, { token: viewer.token })).status).toBe(403);
    expect((await http1.post(`/api/reviews/${reviewId}/decision`, { decision: 'approve' }, { token: project.key })).status).toBe(403);
    const bad = await http1.post(`/api/reviews/${reviewId}/decision`, { decision: 'maybe', extra: 1 }, { token: reviewer.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/decision/);
    expect(bad.body.error.message).toMatch(/extra: unknown field/);
    expect((await http1.post(`/api/reviews/00000000-0000-4000-8000-000000000000/decision`, { decision: 'approve' }, { token: reviewer.token })).status).toBe(404);
    const state = await http1.get(`/api/reviews/${reviewId}`, { token: viewer.token });
    expect(state.body.status).toBe('pending');
  });

  it('shows a review with its full input, the matching rule and the session’s recent events', async () => {
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'context');
    sockets.push(agent);
    await agent.decide('ctx-1', { kind: 'tool', tool: 'fs.read', input: { path: '/etc/hosts' } });
    await agent.decide('ctx-2', { kind: 'llm', input: { prompt: 'hello' } });
    const pending = await agent.decide('ctx-3', { ...DESTRUCTIVE });
    const res = await http1.get(`/api/reviews/${pending.review_id}`, { token: viewer.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: pending.review_id,
      project_id: project.id,
      session_external_id: 'context',
      event_id: 'ctx-3',
      status: 'pending',
      reason: 'destructive command',
      timeout_decision: 'block',
      verdict: null,
      agent_connected: true,
      event: { event_id: 'ctx-3', kind: 'tool', tool: 'shell.exec', input: DESTRUCTIVE.input },
      rule: { tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command' },
    });
    expect(res.body.recent_events.map((e: { event_id: string }) => e.event_id)).toEqual(['ctx-1', 'ctx-2']);
    expect(res.body.recent_events[0]).toMatchObject({ decision: 'allow', source: 'policy', input: { path: '/etc/hosts' } });
    expect(Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)).toBe(300_000);
  });

  it('lists reviews newest first, filtered by status, project and session, page by page', async () => {
    const other = await hitlProject(http1, admin.token);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'listing');
    sockets.push(agent);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await agent.decide(`list-${i}`, { ...DESTRUCTIVE })).review_id);
    const { agent: otherAgent } = await AgentSocket.login(one.wsUrl, other.key, 'listing');
    sockets.push(otherAgent);
    const otherId = (await otherAgent.decide('list-x', { ...DESTRUCTIVE })).review_id;
    await http1.post(`/api/reviews/${ids[0]}/decision`, { decision: 'deny' }, { token: reviewer.token });

    const session = (await db.pool.query("SELECT session_id FROM reviews WHERE id = $1", [ids[0]])).rows[0].session_id;
    const first = await http1.get(`/api/reviews?session=${session}&limit=2`, { token: viewer.token });
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const second = await http1.get(`/api/reviews?session=${session}&limit=2&cursor=${first.body.next_cursor}`, { token: viewer.token });
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();
    expect(second.body.items[0]).toMatchObject({ status: 'denied', verdict: { decision: 'block', source: 'review' } });

    const pendingHere = await http1.get(`/api/reviews?status=pending&session=${session}`, { token: viewer.token });
    expect(pendingHere.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const byProject = await http1.get(`/api/reviews?project=${other.id}`, { token: viewer.token });
    expect(byProject.body.items.map((r: { id: string }) => r.id)).toEqual([otherId]);
    expect((await http1.get('/api/reviews?status=maybe', { token: viewer.token })).status).toBe(400);
    expect((await http1.get('/api/reviews')).status).toBe(401);
  });

  it('extends a pending review within the project maximum, audited, and refuses going past it', async () => {
    const limited = await hitlProject(http1, admin.token, { reviewTimeoutSeconds: 60, reviewMaxTimeoutSeconds: 90 });
    const { agent } = await AgentSocket.login(one.wsUrl, limited.key, 'extend');
    sockets.push(agent);
    const pending = await agent.decide('ext-1', { ...DESTRUCTIVE });
    const before = (await http1.get(`/api/reviews/${pending.review_id}`, { token: reviewer.token })).body;

    const ok = await http2.post(`/api/reviews/${pending.review_id}/extend`, { seconds: 20 }, { token: reviewer.token });
    expect(ok.status).toBe(200);
    expect(Date.parse(ok.body.expires_at) - Date.parse(before.expires_at)).toBe(20_000);

    const tooFar = await http2.post(`/api/reviews/${pending.review_id}/extend`, { seconds: 11 }, { token: reviewer.token });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.error.details).toEqual({ max_extension_seconds: 10, max_window_seconds: 90 });
    expect((await http1.post(`/api/reviews/${pending.review_id}/extend`, { seconds: 5 }, { token: viewer.token })).status).toBe(403);
    expect((await http1.post(`/api/reviews/${pending.review_id}/extend`, { seconds: 0 }, { token: reviewer.token })).status).toBe(400);

    const audit = await db.pool.query("SELECT actor_id, details FROM audit_entries WHERE action = 'review.extend' AND target_id = $1", [pending.review_id]);
    expect(audit.rows).toEqual([{ actor_id: reviewer.id, details: expect.objectContaining({ seconds: 20, previous_expires_at: before.expires_at, expires_at: ok.body.expires_at }) }]);

    // Ten reviewers add 5 s each at once; only the two that fit the remaining 10 s may succeed.
    const rush = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? http1 : http2).post(`/api/reviews/${pending.review_id}/extend`, { seconds: 5 }, { token: reviewer.token })));
    expect(rush.map((r) => r.status).sort()).toEqual([200, 200, 400, 400, 400, 400, 400, 400, 400, 400]);
    const row = (await db.pool.query('SELECT created_at, expires_at FROM reviews WHERE id = $1', [pending.review_id])).rows[0];
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(90_000);

    await http1.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
    const late = await http1.post(`/api/reviews/${pending.review_id}/extend`, { seconds: 1 }, { token: reviewer.token });
    expect(late.status).toBe(409);
    expect(late.body.error.details.status).toBe('approved');
  });
});
