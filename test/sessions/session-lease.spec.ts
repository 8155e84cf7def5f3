import { AgentSocket, eventually } from '../support/agent-socket.js';
import { type SessionsWorld, destructive, harmless, sessionsWorld } from './support.js';
import { VerdictOutboxService } from '../../src/sessions/verdict-outbox.service.js';
import { PrismaService } from '../../src/infra/database/prisma.service.js';

describe('session lease and verdict delivery', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('hitl', 2);
  });
  afterAll(() => w?.close());

  /** Decides a pending review the way the reviews module does: verdict row + NOTIFY in one transaction. */
  async function decideReview(instance: number, reviewId: string, decision: 'allow' | 'block') {
    const app = w.apps[instance].app;
    const prisma = app.get(PrismaService);
    await prisma.$transaction(async (tx) => {
      const review = await tx.review.update({ where: { id: reviewId }, data: { status: decision === 'allow' ? 'approved' : 'denied', decidedAt: new Date() }, include: { event: true } });
      await app.get(VerdictOutboxService).appendForReview(tx, {
        sessionId: review.sessionId,
        eventRowId: review.eventRowId,
        eventId: review.event.eventId,
        reviewId,
        decision,
        reason: 'decided in test',
        source: 'review',
        inputSha256: review.inputSha256,
      });
    });
  }

  it('refuses a second login of the same key without the resume token, leaving the holder undisturbed', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'lease-1');
    const intruder = await AgentSocket.open(w.apps[1].wsUrl, w.key);
    intruder.send({ type: 'login', session_id: 'lease-1' });
    expect(await intruder.closed).toEqual({ code: 4409, reason: expect.stringMatching(/held by another live connection/) });
    expect(intruder.frames).toEqual([{ type: 'error', code: 'session_in_use', message: expect.any(String) }]);
    expect(await a.agent.decide('after-intruder', harmless)).toMatchObject({ decision: 'allow' });
    await a.agent.close();
  });

  it('lets the resume token take the session over: the old connection closes with 4001 and the new one gets what is owed', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'lease-2');
    const pending = await a.agent.decide('owed-1', destructive);
    const b = await AgentSocket.login(w.apps[1].wsUrl, w.key, 'lease-2', { resume_token: a.ok.resume_token });
    expect(b.ok.session).toBe(a.ok.session);
    expect(b.ok.epoch).toBe(a.ok.epoch + 1);
    expect((await a.agent.closed).code).toBe(4001);
    await decideReview(0, pending.review_id, 'allow');
    expect(await b.agent.verdictFor('owed-1')).toMatchObject({ decision: 'allow', source: 'review', review_id: pending.review_id });
    // The old token is spent: it cannot take the session back.
    const stale = await AgentSocket.open(w.apps[0].wsUrl, w.key);
    stale.send({ type: 'login', session_id: 'lease-2', resume_token: a.ok.resume_token });
    expect((await stale.closed).code).toBe(4409);
    await b.agent.close();
  });

  it('makes a takeover wait for an event being recorded under the old epoch, and never makes a lease renewal wait', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'lease-fence');
    const sessionId = a.ok.session as string;
    // What an event statement in flight holds on its session row until it commits.
    const inFlight = await w.db.pool.connect();
    try {
      await inFlight.query('BEGIN');
      await inFlight.query('SELECT id FROM agent_sessions WHERE id = $1 FOR KEY SHARE', [sessionId]);

      // A lease renewal goes through at once.
      const renewed = await w.db.pool.query("UPDATE agent_sessions SET lease_expires_at = now() + interval '30 seconds' WHERE id = $1 RETURNING id", [sessionId]);
      expect(renewed.rowCount).toBe(1);

      // A takeover waits until the event commits.
      const taker = await AgentSocket.open(w.apps[1].wsUrl, w.key);
      taker.send({ type: 'login', session_id: 'lease-fence', resume_token: a.ok.resume_token });
      await new Promise((r) => setTimeout(r, 300));
      expect(taker.frames.filter((f) => f.type === 'login_ok')).toHaveLength(0);
      await inFlight.query('COMMIT');
      expect(await taker.next((f) => f.type === 'login_ok')).toMatchObject({ session: sessionId, epoch: a.ok.epoch + 1 });
      await taker.close();
    } finally {
      await inFlight.query('ROLLBACK').catch(() => undefined);
      inFlight.release();
      await a.agent.close().catch(() => undefined);
    }
  });

  it('delivers a verdict decided on another instance to the socket that holds the session', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'cross-1');
    const pending = await a.agent.decide('cross-evt', destructive);
    await decideReview(1, pending.review_id, 'block');
    expect(await a.agent.verdictFor('cross-evt')).toMatchObject({ decision: 'block', source: 'review' });
    await a.agent.close();
  });

  it('delivers a verdict produced while the agent was away once it comes back, until it is acked', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'away-1');
    const pending = await a.agent.decide('away-evt', destructive);
    await a.agent.close();
    await decideReview(1, pending.review_id, 'allow');
    const again = await AgentSocket.login(w.apps[1].wsUrl, w.key, 'away-1', { resume_token: a.ok.resume_token });
    expect(await again.agent.verdictFor('away-evt')).toMatchObject({ decision: 'allow', review_id: pending.review_id });
    again.agent.send({ type: 'ack', event_id: 'away-evt' });
    await again.agent.decide('away-after', harmless);
    await again.agent.close();
    // The server frees the lease after its side of the close (acks first); a login without the token waits for that.
    await eventually(async () => (await w.db.pool.query("SELECT 1 FROM agent_sessions WHERE external_id = 'away-1' AND lease_expires_at IS NULL")).rowCount === 1, 5000, 'the lease to be freed');
    const third = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'away-1');
    await third.agent.decide('away-check', harmless);
    expect(third.agent.framesFor('away-evt')).toEqual([]);
    await third.agent.close();
  });

  it('records an ack only under the epoch that holds the session, for that one verdict', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'ack-epoch-1');
    const first = await a.agent.decide('ack-evt-1', destructive);
    const second = await a.agent.decide('ack-evt-2', destructive);
    await decideReview(1, first.review_id, 'allow');
    await decideReview(1, second.review_id, 'block');
    await a.agent.verdictFor('ack-evt-2');
    const outbox = w.apps[1].app.get(VerdictOutboxService);
    const unacked = async () =>
      (await w.db.pool.query<{ event_id: string }>('SELECT event_id FROM verdicts WHERE session_id = $1 AND acked_at IS NULL ORDER BY event_id', [a.ok.session])).rows.map((r) => r.event_id);
    // A superseded connection's ack (an older epoch), and an ack for an event with no verdict, change nothing.
    outbox.ack(a.ok.session, a.ok.epoch - 1, 'ack-evt-1');
    outbox.ack(a.ok.session, a.ok.epoch, 'no-such-event');
    await outbox.flushAcks();
    expect(await unacked()).toEqual(['ack-evt-1', 'ack-evt-2']);
    outbox.ack(a.ok.session, a.ok.epoch, 'ack-evt-1');
    await outbox.flushAcks();
    expect(await unacked()).toEqual(['ack-evt-2']);
    await a.agent.close();
  });

  it('lets a login claim a session whose holder stopped renewing once the lease expires', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'expired-1');
    const pending = await a.agent.decide('expired-evt', destructive);
    // The holder's instance died: its lease is not renewed and lapses.
    await w.db.pool.query("UPDATE agent_sessions SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [a.ok.session]);
    await decideReview(1, pending.review_id, 'block');
    const b = await AgentSocket.login(w.apps[1].wsUrl, w.key, 'expired-1');
    expect(b.ok.session).toBe(a.ok.session);
    expect(await b.agent.verdictFor('expired-evt')).toMatchObject({ decision: 'block' });
    // The old connection is fenced: its next event is refused and it is told it was superseded.
    a.agent.send({ type: 'event', event_id: 'from-stale', ...harmless });
    expect((await a.agent.closed).code).toBe(4001);
    const { rows } = await w.db.pool.query("SELECT count(*)::int AS n FROM agent_events WHERE event_id = 'from-stale'");
    expect(rows[0].n).toBe(0);
    await b.agent.close();
  });

  it('frees the lease when the agent disconnects cleanly, so the next login needs no token', async () => {
    const a = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'clean-1');
    await a.agent.close();
    // The server releases the lease when it sees the close, which may be just after the client does.
    await eventually(async () => {
      const { rows } = await w.db.pool.query('SELECT lease_expires_at FROM agent_sessions WHERE id = $1', [a.ok.session]);
      return rows[0].lease_expires_at === null;
    }, 5000, 'lease released');
    const b = await AgentSocket.login(w.apps[1].wsUrl, w.key, 'clean-1');
    expect(b.ok.session).toBe(a.ok.session);
    await b.agent.close();
  });
});
