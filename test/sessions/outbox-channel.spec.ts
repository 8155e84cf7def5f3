import pg from 'pg';
import { ARBITER_CONFIG } from '../../src/infra/config/config.module.js';
import type { ArbiterConfig } from '../../src/infra/config/config.js';
import { sessionOutboxChannelOf, sessionOutboxChannelSql } from '../../src/sessions/session-events.js';
import { AgentSocket, eventually } from '../support/agent-socket.js';
import { HttpClient } from '../support/http.js';
import { type SessionsWorld, destructive, sessionsWorld } from './support.js';

/** A review's verdict wakes the instance holding the session, and no other. */
describe('verdict notifications go to the holding instance', () => {
  let w: SessionsWorld;
  let listener: pg.Client;
  const heard: { channel: string; payload: string }[] = [];
  const instanceOf = (n: number) => w.apps[n].app.get<ArbiterConfig>(ARBITER_CONFIG).instanceId;
  const channelOf = (n: number) => sessionOutboxChannelOf(instanceOf(n)).name;

  beforeAll(async () => {
    w = await sessionsWorld('hitl', 2);
    listener = new pg.Client({ connectionString: w.db.url });
    await listener.connect();
    listener.on('notification', (m) => heard.push({ channel: m.channel, payload: m.payload ?? '' }));
    for (const n of [0, 1]) await listener.query(`LISTEN ${pg.escapeIdentifier(channelOf(n))}`);
  });
  afterAll(async () => {
    await listener?.end();
    await w?.close();
  });

  it('names the channel the same in TypeScript and in SQL', async () => {
    const ids = ['vm-1-4242-a1b2c3', 'arbiter-0', 'ünïcode-instance', 'x'.repeat(200)];
    const { rows } = await w.db.pool.query<{ id: string; channel: string }>(`SELECT id, ${sessionOutboxChannelSql('id')} AS channel FROM unnest($1::text[]) AS id`, [ids]);
    expect(rows.map((r) => r.channel)).toEqual(ids.map((id) => sessionOutboxChannelOf(id).name));
    expect(channelOf(0)).not.toBe(channelOf(1));
  });

  it('wakes only the instance holding the session when a person decides on another one', async () => {
    heard.length = 0;
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'held-on-a');
    const pending = await agent.decide('deploy-1', destructive);
    const b = new HttpClient(w.apps[1].url);
    const res = await b.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: w.adminToken });
    expect(res.status).toBe(200);
    expect(await agent.next((f) => f.type === 'verdict' && f.event_id === 'deploy-1')).toMatchObject({ decision: 'allow', source: 'review' });
    await eventually(async () => heard.length > 0, 2000, 'the notification');
    expect(heard.map((h) => h.channel)).toEqual([channelOf(0)]);
    await agent.close();
  });

  it('notifies the new holder when a takeover commits while the decision waits for the session row', async () => {
    heard.length = 0;
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'moving');
    const pending = await agent.decide('deploy-2', destructive);
    const sessionId = (await w.db.pool.query<{ session_id: string }>('SELECT session_id::text FROM reviews WHERE id = $1', [pending.review_id])).rows[0].session_id;

    // A takeover in progress: the session row locked FOR UPDATE, its holder moving to instance B.
    const takeover = await w.db.pool.connect();
    await takeover.query('BEGIN');
    await takeover.query('SELECT 1 FROM agent_sessions WHERE id = $1 FOR UPDATE', [sessionId]);
    await takeover.query('UPDATE agent_sessions SET instance_id = $2 WHERE id = $1', [sessionId, instanceOf(1)]);
    const decided = new HttpClient(w.apps[0].url).post(`/api/reviews/${pending.review_id}/decision`, { decision: 'deny' }, { token: w.adminToken });
    // The decision waits on the row lock; nothing is notified meanwhile.
    await eventually(
      async () => (await w.db.pool.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH signed_in AS%'")).rowCount === 1,
      5000,
      'the decision waiting for the session row',
    );
    expect(heard).toEqual([]);
    await takeover.query('COMMIT');
    takeover.release();
    expect((await decided).status).toBe(200);
    await eventually(async () => heard.length > 0, 2000, 'the notification');
    expect(heard.map((h) => h.channel)).toEqual([channelOf(1)]);
    await agent.close();
  });
});
