import { ArbiterClient, ArbiterConnectError, type Verdict } from '@arbiter-ai/sdk';
import { PrismaService } from '../../src/infra/database/prisma.service.js';
import { VerdictOutboxService } from '../../src/sessions/verdict-outbox.service.js';
import { eventually } from '../support/agent-socket.js';
import { TcpBalancer } from '../support/tcp-balancer.js';
import { type SessionsWorld, destructive, harmless, network, sessionsWorld } from './support.js';

describe('ArbiterClient (SDK)', () => {
  let w: SessionsWorld;
  let balancer: TcpBalancer;
  let lbUrl: string;

  beforeAll(async () => {
    w = await sessionsWorld('hitl', 2);
    balancer = TcpBalancer.fromUrls([w.apps[0].url]);
    lbUrl = await balancer.listen();
  });
  afterAll(async () => {
    await balancer?.close();
    await w?.close();
  });

  async function decideReview(reviewId: string, decision: 'allow' | 'block') {
    const app = w.apps[1].app;
    await app.get(PrismaService).$transaction(async (tx) => {
      const review = await tx.review.update({ where: { id: reviewId }, data: { status: decision === 'allow' ? 'approved' : 'denied' }, include: { event: true } });
      await app.get(VerdictOutboxService).appendForReview(tx, {
        sessionId: review.sessionId,
        eventRowId: review.eventRowId,
        eventId: review.event.eventId,
        reviewId,
        decision,
        reason: 'approved by a person',
        source: 'review',
        inputSha256: review.inputSha256,
      });
    });
  }

  it('resolves policy verdicts and acks them', async () => {
    const client = await ArbiterClient.connect({ url: w.apps[0].url, apiKey: w.key, sessionId: 'sdk-basic' });
    expect(client.mode).toBe('hitl');
    const allow = await client.decide(harmless as never);
    expect(allow).toMatchObject({ decision: 'allow', source: 'policy' });
    const block = await client.decide(network as never);
    expect(block).toMatchObject({ decision: 'block', reason: 'no network' });
    await eventually(async () => {
      const { rows } = await w.db.pool.query('SELECT count(*)::int AS n FROM verdicts WHERE session_id = $1 AND acked_at IS NULL', [client.session]);
      return rows[0].n === 0;
    }, 5000, 'verdicts acked');
    await client.close();
  });

  it('waits through pending, survives its instance shutting down, and hands the decision over exactly once', async () => {
    const pendings: string[] = [];
    const client = await ArbiterClient.connect({ url: lbUrl, apiKey: w.key, sessionId: 'sdk-hitl', onPending: (eventId) => pendings.push(eventId) });
    const verdicts: Verdict[] = [];
    const decided = client.decide({ event_id: 'sdk-rm', ...destructive } as never, { timeoutMs: 20_000 }).then((v) => {
      verdicts.push(v);
      return v;
    });
    await eventually(() => pendings.includes('sdk-rm'), 5000, 'pending');
    const { rows } = await w.db.pool.query("SELECT id FROM reviews WHERE event_row_id = (SELECT id FROM agent_events WHERE event_id = 'sdk-rm')");

    // Roll the instance the agent is on: new connections go to the other one.
    balancer.setBackends([w.apps[1].url]);
    await w.apps[0].app.get(PrismaService).$queryRaw`SELECT 1`;
    const restarting = w.apps[0];
    await restarting.close();
    await eventually(() => client.connected, 10_000, 'reconnected');

    await decideReview(rows[0].id, 'allow');
    const verdict = await decided;
    expect(verdict).toMatchObject({ event_id: 'sdk-rm', decision: 'allow', source: 'review', review_id: rows[0].id });
    // Replays after another reconnect are acked and dropped, never handed over twice.
    await client.decide(harmless as never);
    expect(verdicts).toHaveLength(1);
    await client.close();
  });

  it('calls onPending once per review, though the server answers the event resent after a reconnect with pending again', async () => {
    balancer.setBackends([w.apps[1].url]);
    const pendings: [string, string][] = [];
    const client = await ArbiterClient.connect({ url: lbUrl, apiKey: w.key, sessionId: 'sdk-pending-once', onPending: (eventId, reviewId) => pendings.push([eventId, reviewId]) });
    const verdicts: Verdict[] = [];
    const decided = client.decide({ event_id: 'sdk-once', ...destructive, input: { cmd: 'rm -rf /srv/once' } } as never, { timeoutMs: 20_000 }).then((v) => {
      verdicts.push(v);
      return v;
    });
    await eventually(() => pendings.length > 0, 5000, 'pending');

    const connectionsBefore = balancer.acceptedBy(w.apps[1].url);
    balancer.dropAll();
    await eventually(() => balancer.acceptedBy(w.apps[1].url) > connectionsBefore && client.connected, 10_000, 'resumed');
    // The connection answers its frames in order: once this verdict is here, so is the pending for the resent event.
    await expect(client.decide(harmless as never)).resolves.toMatchObject({ decision: 'allow' });
    expect(pendings).toHaveLength(1);

    await decideReview(pendings[0][1], 'allow');
    await expect(decided).resolves.toMatchObject({ event_id: 'sdk-once', decision: 'allow', source: 'review' });
    await client.decide(harmless as never);
    expect(verdicts).toHaveLength(1);
    expect(pendings).toEqual([['sdk-once', pendings[0][1]]]);
    await client.close();
  });

  it('fails closed when no verdict arrives in time, and open only when asked to', async () => {
    const client = await ArbiterClient.connect({ url: w.apps[1].url, apiKey: w.key, sessionId: 'sdk-timeout' });
    const closed = await client.decide(destructive as never, { timeoutMs: 300 });
    expect(closed).toMatchObject({ decision: 'block', source: 'client_timeout' });
    const open = await client.decide({ ...destructive, input: { cmd: 'rm -rf /tmp/other' } } as never, { timeoutMs: 300, failOpen: true });
    expect(open).toMatchObject({ decision: 'allow', source: 'client_timeout' });
    await client.close();
  });

  it('refuses to connect with a bad key', async () => {
    await expect(ArbiterClient.connect({ url: w.apps[1].url, apiKey: `arb_bbbbbbbbbbbb_${'B'.repeat(43)}`, sessionId: 'x' })).rejects.toBeInstanceOf(ArbiterConnectError);
  });
});
