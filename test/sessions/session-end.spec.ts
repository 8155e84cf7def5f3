import { AgentSocket } from '../support/agent-socket.js';
import { TEST_ADMIN } from '../support/app.js';
import { createUser } from '../support/fixtures.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

describe('ending a session', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('block', 2);
  });
  afterAll(() => w?.close());

  it('closes the socket held by another instance with 4002, and the session cannot be resumed or claimed again', async () => {
    const { agent, ok } = await AgentSocket.login(w.apps[1].wsUrl, w.key, 'to-end');
    await agent.decide('before', harmless);
    const res = await w.http.post(`/api/sessions/${ok.session}/end`, {}, { token: w.adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ok.session, ended_by: TEST_ADMIN.email });
    const closed = await agent.closed;
    expect(closed.code).toBe(4002);
    expect(agent.frames.at(-1)).toMatchObject({ type: 'error', code: 'session_ended' });

    const resumed = await AgentSocket.open(w.apps[0].wsUrl, w.key);
    resumed.send({ type: 'login', session_id: 'to-end', resume_token: ok.resume_token });
    expect((await resumed.closed).code).not.toBe(1000);
    expect(resumed.frames.some((f) => f.type === 'login_ok')).toBe(false);

    const view = await w.http.get(`/api/sessions/${ok.session}`, { token: w.adminToken });
    expect(view.body).toMatchObject({ connected: false, ended_by: TEST_ADMIN.email });
    expect(typeof view.body.ended_at).toBe('string');
    const audit = await w.db.pool.query("SELECT actor_type, target_id FROM audit_entries WHERE action = 'session.ended'");
    expect(audit.rows).toEqual([{ actor_type: 'user', target_id: ok.session }]);
    expect((await w.http.post(`/api/sessions/${ok.session}/end`, {}, { token: w.adminToken })).status).toBe(409);
  });

  it('is for admins only, and 404 for an unknown session', async () => {
    const reviewer = await createUser(w.http, w.adminToken, 'reviewer');
    const { agent, ok } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'stays');
    expect((await w.http.post(`/api/sessions/${ok.session}/end`, {}, { token: reviewer.token })).status).toBe(403);
    expect((await w.http.post('/api/sessions/00000000-0000-4000-8000-000000000000/end', {}, { token: w.adminToken })).status).toBe(404);
    expect((await agent.decide('still-live', harmless)).type).toBe('verdict');
    await agent.close();
  });
});
