import { AgentSocket, eventually } from '../support/agent-socket.js';
import { createUser } from '../support/fixtures.js';
import { type SessionsWorld, destructive, harmless, sessionsWorld } from './support.js';

/** Protocol 1.1's ack status: the transcript tells a verdict acted on from one that came too late. 1.0 clients unchanged. */
describe('ack status', () => {
  let w: SessionsWorld;
  beforeAll(async () => {
    w = await sessionsWorld('hitl');
  });
  afterAll(() => w?.close());

  it('records a discarded ack and shows it, apart from received ones, in the session API and a shared transcript', async () => {
    const { agent, ok } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'acks');
    expect(ok.protocol).toBe('1.1');
    await agent.decide('a-old', harmless);
    agent.ack('a-old'); // 1.0: no status
    await agent.decide('a-received', harmless);
    agent.ack('a-received', 'received');
    const pending = await agent.decide('a-late', destructive);
    const reviewer = await createUser(w.http, w.adminToken, 'reviewer');
    expect((await w.http.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token })).status).toBe(200);
    await agent.verdictFor('a-late');
    agent.ack('a-late', 'discarded');
    await agent.decide('a-unacked', harmless);

    const statusOf = async () => {
      const { rows } = await w.db.pool.query(`SELECT event_id, ack_status::text FROM verdicts WHERE session_id = $1 ORDER BY seq`, [ok.session]);
      return Object.fromEntries(rows.map((r) => [r.event_id, r.ack_status]));
    };
    await eventually(async () => (await statusOf())['a-late'] === 'discarded', 5000, 'the discarded ack to be recorded');
    expect(await statusOf()).toEqual({ 'a-old': 'received', 'a-received': 'received', 'a-late': 'discarded', 'a-unacked': null });

    const session = await w.http.get(`/api/sessions/${ok.session}`, { token: reviewer.token });
    expect(session.status).toBe(200);
    const acks = Object.fromEntries(session.body.events.map((e: { event_id: string; verdict: { acked: boolean; ack_status: string | null } }) => [e.event_id, [e.verdict.acked, e.verdict.ack_status]]));
    expect(acks).toEqual({ 'a-old': [true, 'received'], 'a-received': [true, 'received'], 'a-late': [true, 'discarded'], 'a-unacked': [false, null] });

    const share = await w.http.post(`/api/sessions/${ok.session}/shares`, {}, { token: reviewer.token });
    expect(share.status).toBe(201);
    const view = await w.http.post(`/api/public/shares/${share.body.token}/views`);
    expect(view.status).toBe(200);
    const shown = Object.fromEntries(view.body.events.map((e: { event_id: string; verdict: { ack_status: string | null } }) => [e.event_id, e.verdict.ack_status]));
    expect(shown).toEqual({ 'a-old': 'received', 'a-received': 'received', 'a-late': 'discarded', 'a-unacked': null });

    // A discarded ack stops redelivery as a received one does: a resumed session is owed only the unacked verdict.
    await agent.close();
    const back = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'acks', { resume_token: ok.resume_token });
    await back.agent.verdictFor('a-unacked');
    back.agent.ack('a-unacked');
    expect(back.agent.frames.filter((f) => f.type === 'verdict').map((f) => f.event_id)).toEqual(['a-unacked']);
    await back.agent.close();
  });

  it('refuses an ack with an unknown status as a bad frame, keeping the socket', async () => {
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'bad-ack');
    await agent.decide('b-1', harmless);
    agent.send({ type: 'ack', event_id: 'b-1', status: 'ignored' });
    expect(await agent.next((f) => f.type === 'error')).toMatchObject({ code: 'validation_failed', message: 'ack: status must be "received" or "discarded"' });
    agent.ack('b-1');
    expect(await agent.decide('b-2', harmless)).toMatchObject({ type: 'verdict', decision: 'allow' });
    await agent.close();
  });
});
