import { AgentSocket } from '../support/agent-socket.js';
import { waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type ReviewsWorld, SseClient, WebhookReceiver, hitlProject, reviewsWorld } from './support.js';

/** Protocol 1.1's cancel: an agent withdraws a pending review, on one instance, and everyone else hears of it. */
describe('review withdrawal (cancel)', () => {
  let world: ReviewsWorld;
  let { db, one, two, http1, http2, admin, reviewer } = {} as ReviewsWorld;
  const sockets: AgentSocket[] = [];
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    ({ db, one, two, http1, http2, admin, reviewer } = world);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await Promise.all(receivers.map((r) => r.close()));
    await world?.close();
  });

  it('withdraws a pending review on instance one: instance two’s feed, a webhook and the audit log hear of it, and a later decision gets 409', async () => {
    const project = await hitlProject(http1, admin.token);
    const receiver = await WebhookReceiver.start(() => 200);
    receivers.push(receiver);
    const hook = await http1.post(`/api/projects/${project.id}/webhooks`, { url: receiver.url, events: ['review.withdrawn'], secret: 'whsec-test-0123456789abcdef' }, { token: admin.token });
    expect(hook.status).toBe(201);
    const feed = await SseClient.open(two.url, reviewer.token);
    expect(feed.status).toBe(200);

    const { agent, ok } = await AgentSocket.login(one.wsUrl, project.key, 'cancels');
    sockets.push(agent);
    expect(ok.protocol).toBe('1.1');
    const pending = await agent.decide('c-1', { ...DESTRUCTIVE });
    expect(pending.type).toBe('pending');
    await feed.next((e) => e.event === 'review.created' && e.data.data.review_id === pending.review_id);

    const cancelled = await agent.cancel('c-1', 'client_timeout');
    expect(cancelled).toEqual({ type: 'cancelled', event_id: 'c-1', review_id: pending.review_id, result: 'withdrawn' });

    // The other instance's SSE clients see it (bounded generously: the wait is LISTEN/NOTIFY across instances).
    const seen = await feed.next((e) => e.event === 'review.withdrawn' && e.data.data.review_id === pending.review_id, 5000);
    expect(seen.data.data).toMatchObject({ status: 'withdrawn', withdrawn_reason: 'client_timeout', decision: null, event_id: 'c-1' });

    const call = await waitFor('the review.withdrawn webhook', async () => receiver.calls.find((c) => JSON.parse(c.body).type === 'review.withdrawn'), 10_000);
    expect(JSON.parse(call.body).data).toMatchObject({ review_id: pending.review_id, status: 'withdrawn', withdrawn_reason: 'client_timeout' });

    const audit = await db.pool.query(`SELECT actor_type::text, action, details FROM audit_entries WHERE target_id = $1`, [pending.review_id]);
    expect(audit.rows).toEqual([{ actor_type: 'api_key', action: 'review.withdraw', details: expect.objectContaining({ reason: 'client_timeout', event_id: 'c-1' }) }]);

    const decision = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
    expect(decision.status).toBe(409);
    expect(decision.body.error).toMatchObject({ code: 'already_decided', details: { status: 'withdrawn' } });
    const extend = await http2.post(`/api/reviews/${pending.review_id}/extend`, { seconds: 60 }, { token: reviewer.token });
    expect(extend.status).toBe(409);
    expect(extend.body.error.details).toMatchObject({ status: 'withdrawn' });

    const view = await http2.get(`/api/reviews/${pending.review_id}`, { token: reviewer.token });
    expect(view.body).toMatchObject({ status: 'withdrawn', withdrawn_reason: 'client_timeout', verdict: null, edited: false });
    const listed = await http2.get(`/api/reviews?status=withdrawn&project=${project.id}`, { token: reviewer.token });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([pending.review_id]);

    // Idempotent, no verdict ever, and the event repeated answers that it was withdrawn.
    expect(await agent.cancel('c-1')).toMatchObject({ result: 'withdrawn', review_id: pending.review_id });
    const repeated = agent.frames.length;
    agent.send({ type: 'event', event_id: 'c-1', ...DESTRUCTIVE });
    expect(await agent.nextAfter(repeated, (f) => f.event_id === 'c-1')).toMatchObject({ type: 'cancelled', result: 'withdrawn' });
    const verdicts = await db.pool.query('SELECT 1 FROM verdicts WHERE review_id = $1', [pending.review_id]);
    expect(verdicts.rowCount).toBe(0);
    expect(agent.framesFor('c-1').filter((f) => f.type === 'verdict')).toEqual([]);
    feed.close();
  });

  it('answers already_decided for an event with a verdict, and unknown_event for an event the session never sent', async () => {
    const project = await hitlProject(http1, admin.token);
    const { agent } = await AgentSocket.login(two.wsUrl, project.key, 'late-cancel');
    sockets.push(agent);
    const allowed = await agent.decide('p-1');
    expect(allowed).toMatchObject({ type: 'verdict', decision: 'allow' });
    expect(await agent.cancel('p-1')).toEqual({ type: 'cancelled', event_id: 'p-1', review_id: null, result: 'already_decided' });

    const pending = await agent.decide('d-1', { ...DESTRUCTIVE });
    const decided = await http1.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'deny' }, { token: reviewer.token });
    expect(decided.status).toBe(200);
    await agent.verdictFor('d-1');
    expect(await agent.cancel('d-1')).toEqual({ type: 'cancelled', event_id: 'd-1', review_id: pending.review_id, result: 'already_decided' });
    expect(await agent.cancel('never-sent')).toEqual({ type: 'cancelled', event_id: 'never-sent', review_id: null, result: 'unknown_event' });

    // A cancel is validated like any frame: a bad one is an error frame, the socket stays open.
    const before = agent.frames.length;
    agent.send({ type: 'cancel', event_id: 'd-1', reason: 'x'.repeat(2001) });
    expect(await agent.nextAfter(before, (f) => f.type === 'error')).toMatchObject({ code: 'validation_failed', event_id: 'd-1' });
    expect(await agent.cancel('never-sent')).toMatchObject({ result: 'unknown_event' });
  });

  it('lets exactly one of a cancel and a concurrent decision win, for every one of many pairs', async () => {
    const project = await hitlProject(http1, admin.token);
    const pairs = 24;
    const agents = await Promise.all(Array.from({ length: pairs }, (_, i) => AgentSocket.login((i % 2 ? one : two).wsUrl, project.key, `race-${i}`)));
    sockets.push(...agents.map((a) => a.agent));
    const pendings = await Promise.all(agents.map(({ agent }, i) => agent.decide(`r-${i}`, { ...DESTRUCTIVE })));

    const outcomes = await Promise.all(
      agents.map(async ({ agent }, i) => {
        const [cancelled, decision] = await Promise.all([
          agent.cancel(`r-${i}`, 'race'),
          (i % 2 ? http2 : http1).post(`/api/reviews/${pendings[i].review_id}/decision`, { decision: 'approve' }, { token: reviewer.token }),
        ]);
        return { cancelled, decision };
      }),
    );

    for (const [i, { cancelled, decision }] of outcomes.entries()) {
      const reviewId = pendings[i].review_id;
      const row = (await db.pool.query('SELECT r.status::text AS status, v.id AS verdict FROM reviews r LEFT JOIN verdicts v ON v.review_id = r.id WHERE r.id = $1', [reviewId])).rows[0];
      if (cancelled.result === 'withdrawn') {
        expect(decision.status).toBe(409);
        expect(row).toEqual({ status: 'withdrawn', verdict: null });
      } else {
        expect(cancelled.result).toBe('already_decided');
        expect(decision.status).toBe(200);
        expect(row.status).toBe('approved');
        expect(row.verdict).toEqual(expect.any(String));
        await expect(agents[i].agent.verdictFor(`r-${i}`)).resolves.toMatchObject({ decision: 'allow', review_id: reviewId });
      }
    }
  });
});
