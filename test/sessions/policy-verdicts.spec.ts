import { eventInputSha256 } from '../../src/policies/canonical-event.js';
import { AgentSocket } from '../support/agent-socket.js';
import { type SessionsWorld, destructive, harmless, network, sessionsWorld } from './support.js';

describe('policy verdicts over the agent WebSocket', () => {
  const worlds: SessionsWorld[] = [];
  afterAll(() => Promise.all(worlds.map((w) => w.close())));

  async function world(mode: 'monitor' | 'block' | 'hitl') {
    const w = await sessionsWorld(mode);
    worlds.push(w);
    return w;
  }

  it('lets rules decide in block mode, failing closed on review, with the hash of the exact call', async () => {
    const w = await world('block');
    const { agent, ok } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'block-session');
    expect(ok).toMatchObject({ type: 'login_ok', epoch: 1, mode: 'block' });
    expect(ok.resume_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect(await agent.decide('e-harmless', harmless)).toEqual({
      type: 'verdict',
      event_id: 'e-harmless',
      decision: 'allow',
      reason: 'default action',
      source: 'policy',
      review_id: null,
      input_sha256: eventInputSha256(harmless as never),
    });
    expect(await agent.decide('e-net', network)).toMatchObject({ decision: 'block', reason: 'no network' });
    expect(await agent.decide('e-rm', destructive)).toMatchObject({ decision: 'block', source: 'policy' });
    await agent.close();
  });

  it('allows everything in monitor mode and records what the rules would have done', async () => {
    const w = await world('monitor');
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'monitor-session');
    expect(await agent.decide('m-net', network)).toMatchObject({ decision: 'allow', reason: 'monitor mode (rules would block: no network)' });
    const { rows } = await w.db.pool.query("SELECT rule_action::text FROM agent_events WHERE event_id = 'm-net'");
    expect(rows).toEqual([{ rule_action: 'block' }]);
    await agent.close();
  });

  it('holds review events for a person in hitl mode', async () => {
    const w = await world('hitl');
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'hitl-session');
    const pending = await agent.decide('h-rm', destructive);
    expect(pending).toEqual({ type: 'pending', event_id: 'h-rm', review_id: expect.any(String) });
    const { rows } = await w.db.pool.query('SELECT status::text, timeout_decision::text, input_sha256 FROM reviews WHERE id = $1', [pending.review_id]);
    expect(rows).toEqual([{ status: 'pending', timeout_decision: 'block', input_sha256: eventInputSha256(destructive as never) }]);
    expect(await agent.decide('h-ok', harmless)).toMatchObject({ type: 'verdict', decision: 'allow' });
    await agent.close();
  });

  it('answers a repeated event_id with the same verdict and creates nothing new', async () => {
    const w = await world('hitl');
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'idempotent-session');
    const first = await agent.decide('dup-1', network);
    agent.send({ type: 'event', event_id: 'dup-1', ...network });
    const repeated = await agent.next((f) => f.type === 'verdict' && f.event_id === 'dup-1' && f !== first);
    expect(repeated).toEqual(first);
    const pending = await agent.decide('dup-2', destructive);
    agent.send({ type: 'event', event_id: 'dup-2', ...destructive });
    const again = await agent.next((f) => f.type === 'pending' && f.event_id === 'dup-2' && f !== pending);
    expect(again.review_id).toBe(pending.review_id);
    const counts = await w.db.pool.query(
      "SELECT (SELECT count(*) FROM agent_events WHERE event_id IN ('dup-1','dup-2'))::int AS events, (SELECT count(*) FROM verdicts WHERE event_id = 'dup-1')::int AS verdicts, (SELECT count(*) FROM reviews)::int AS reviews",
    );
    expect(counts.rows[0]).toEqual({ events: 2, verdicts: 1, reviews: 1 });
    await agent.close();
  });
});
