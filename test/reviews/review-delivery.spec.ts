import { ArbiterClient } from '@arbiter-ai/sdk';
import { AgentSocket } from '../support/agent-socket.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { type SignedIn, createUser, signInAdmin, waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { DESTRUCTIVE, type HitlProject, PartitioningProxy, hitlProject } from './support.js';

describe('review decisions reach agents that are away', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let http2: HttpClient;
  let admin: SignedIn;
  let reviewer: SignedIn;
  let project: HitlProject;

  beforeAll(async () => {
    db = await createTestDatabase();
    [one, two] = await Promise.all([startApp(db.url), startApp(db.url)]);
    const http1 = new HttpClient(one.url);
    http2 = new HttpClient(two.url);
    admin = await signInAdmin(http1);
    reviewer = await createUser(http1, admin.token, 'reviewer');
    project = await hitlProject(http1, admin.token);
  });

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await db?.drop();
  });

  it('delivers a decision made while the agent was disconnected once it resumes, on another instance', async () => {
    const { agent, ok } = await AgentSocket.login(one.wsUrl, project.key, 'away');
    const pending = await agent.decide('away-1', { ...DESTRUCTIVE });
    await agent.close();
    await waitFor('the lease to be released', async () => {
      const res = await http2.get(`/api/reviews/${pending.review_id}`, { token: reviewer.token });
      return res.body.agent_connected === false ? true : undefined;
    });

    const res = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
    expect(res.status).toBe(200);
    expect(res.body.agent_connected).toBe(false);

    const back = await AgentSocket.login(two.wsUrl, project.key, 'away', { resume_token: ok.resume_token });
    expect(back.ok.session).toBe(ok.session);
    const verdict = await back.agent.verdictFor('away-1');
    expect(verdict).toMatchObject({ decision: 'allow', source: 'review', review_id: pending.review_id, input_sha256: res.body.verdict.input_sha256 });
    back.agent.send({ type: 'ack', event_id: 'away-1' });
    await waitFor('the ack to be recorded', async () => {
      const rows = await db.pool.query('SELECT acked_at FROM verdicts WHERE review_id = $1', [pending.review_id]);
      return rows.rows[0].acked_at ? true : undefined;
    });
    await back.agent.close();
  });

  it('delivers a decision whose reason is too long to ride in the notification, to a live agent on another instance', async () => {
    // 2,000 four-byte characters: the verdict no longer fits PostgreSQL's 8,000-byte NOTIFY payload, so the notification
    // carries only the session and the holding instance reads the verdict from the outbox.
    const note = '\u{1F6A7}'.repeat(2000);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'long-note');
    const pending = await agent.decide('long-1', { ...DESTRUCTIVE });
    const res = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'deny', note }, { token: reviewer.token });
    expect(res.status).toBe(200);
    expect(res.body.agent_connected).toBe(true);
    const verdict = await agent.verdictFor('long-1');
    expect(verdict).toMatchObject({ decision: 'block', source: 'review', review_id: pending.review_id, reason: `denied by a reviewer: ${note}` });
    expect(agent.framesFor('long-1').filter((f) => f.type === 'verdict')).toHaveLength(1);
    await agent.close();
  });

  /**
   * A killed instance cannot be SIGKILLed in-process, so this emulates what the rest of the system sees of one: the
   * agent reaches `doomed` through a TCP balancer, which at the crash stops passing bytes either way (no FIN, no RST)
   * and then drops the agent's side only. `doomed` keeps believing it holds the socket and the lease (nothing is
   * released), and the verdict it pushes after the decision goes nowhere. The agent reconnects through the balancer,
   * now pointing at instance two, resumes with its token, and must still receive the decision.
   */
  it('loses no decision when the instance holding the agent’s socket dies', async () => {
    const doomed = await startApp(db.url);
    const lb = await PartitioningProxy.start(Number(new URL(doomed.url).port));
    let held: { eventId: string; reviewId: string } | undefined;
    const client = await ArbiterClient.connect({
      url: lb.wsUrl,
      apiKey: project.key,
      sessionId: 'crash',
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      onPending: (eventId, reviewId) => (held = { eventId, reviewId }),
    });
    try {
      const verdict = client.decide({ ...DESTRUCTIVE }, { timeoutMs: 20_000 });
      const { reviewId } = await waitFor('the pending frame', async () => held);
      const lease = (await db.pool.query('SELECT instance_id FROM agent_sessions WHERE id = $1', [client.session])).rows[0];
      expect(lease.instance_id).toBe(doomed.config.instanceId);

      lb.freeze();
      const res = await http2.post(`/api/reviews/${reviewId}/decision`, { decision: 'approve', note: 'ship it' }, { token: reviewer.token });
      expect(res.status).toBe(200);
      // The dead instance still holds the lease: as far as anyone can tell, the agent is connected there.
      expect(res.body.agent_connected).toBe(true);

      lb.retarget(Number(new URL(two.url).port));
      lb.cutClients();
      const got = await verdict;
      expect(got).toMatchObject({ decision: 'allow', source: 'review', review_id: reviewId, reason: 'approved by a reviewer: ship it' });
      const now = (await db.pool.query('SELECT instance_id FROM agent_sessions WHERE id = $1', [client.session])).rows[0];
      expect(now.instance_id).toBe(two.config.instanceId);
    } finally {
      await client.close();
      await lb.close();
      await doomed.close();
    }
  });
});
