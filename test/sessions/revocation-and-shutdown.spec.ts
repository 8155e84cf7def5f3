import { AgentSocket, eventually } from '../support/agent-socket.js';
import { createApiKey } from '../support/fixtures.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

describe('revocation and graceful shutdown', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('block', 3);
  });
  afterAll(() => w?.close());

  it('closes every live socket of a revoked key with 4401 within 2 s, on every instance', async () => {
    const key = await createApiKey(w.http, w.adminToken, w.projectId, 'to-revoke');
    const onOne = await AgentSocket.login(w.apps[0].wsUrl, key.key, 'rev-1');
    const onTwo = await AgentSocket.login(w.apps[1].wsUrl, key.key, 'rev-2');
    const started = Date.now();
    expect((await w.http.delete(`/api/api-keys/${key.id}`, { token: w.adminToken })).status).toBe(204);
    const [a, b] = await Promise.all([onOne.agent.closed, onTwo.agent.closed]);
    const elapsed = Date.now() - started;
    process.stdout.write(`revocation closed sockets on two instances in ${elapsed} ms\n`);
    expect([a.code, b.code]).toEqual([4401, 4401]);
    expect(elapsed).toBeLessThan(2000);
    const again = await AgentSocket.open(w.apps[1].wsUrl, key.key);
    again.send({ type: 'login', session_id: 'rev-1' });
    expect((await again.closed).code).toBe(4401);
  });

  it('on shutdown frees its leases and closes sockets with 1012, so agents resume elsewhere at once', async () => {
    const leaving = w.apps[2];
    const { agent, ok } = await AgentSocket.login(leaving.wsUrl, w.key, 'rolling-1');
    await agent.decide('before-restart', harmless);
    await leaving.close();
    expect((await agent.closed).code).toBe(1012);
    const { rows } = await w.db.pool.query('SELECT lease_expires_at FROM agent_sessions WHERE id = $1', [ok.session]);
    expect(rows[0].lease_expires_at).toBeNull();
    // No resume token needed: the lease is free right away.
    const resumed = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'rolling-1');
    expect(resumed.ok.session).toBe(ok.session);
    await eventually(async () => (await resumed.agent.decide('after-restart', harmless)).type === 'verdict');
    await resumed.agent.close();
  });
});
