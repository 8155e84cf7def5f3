import { AgentSocket, eventually } from '../support/agent-socket.js';
import { createUser } from '../support/fixtures.js';
import { type SessionsWorld, destructive, harmless, network, sessionsWorld } from './support.js';

describe('GET /api/sessions', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('hitl');
  });
  afterAll(() => w?.close());

  it('lists sessions newest first with whether they are connected, and shows one with its events', async () => {
    const viewer = await createUser(w.http, w.adminToken, 'viewer');
    const { agent, ok } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'listed-1', { agent_id: 'builder', source: 'ci' });
    await agent.decide('l-1', harmless);
    await agent.decide('l-2', network);
    const pending = await agent.decide('l-3', destructive);

    const list = await w.http.get(`/api/sessions?project=${w.projectId}`, { token: viewer.token });
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({ id: ok.session, external_id: 'listed-1', agent_id: 'builder', source: 'ci', connected: true, project_id: w.projectId });

    const one = await w.http.get(`/api/sessions/${ok.session}`, { token: viewer.token });
    expect(one.body.events.map((e: { event_id: string }) => e.event_id)).toEqual(['l-1', 'l-2', 'l-3']);
    expect(one.body.events[1]).toMatchObject({ tool: 'net.fetch', rule_action: 'block', verdict: { decision: 'block', reason: 'no network', source: 'policy' }, review: null });
    expect(one.body.events[2]).toMatchObject({ verdict: null, review: { id: pending.review_id, status: 'pending' } });

    await agent.close();
    await eventually(async () => (await w.http.get(`/api/sessions/${ok.session}`, { token: viewer.token })).body.connected === false, 5000, 'shown disconnected');
  });

  it('pages with next_cursor and refuses cursors it did not make', async () => {
    for (const label of ['page-a', 'page-b', 'page-c']) {
      const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, label);
      await agent.close();
    }
    const first = await w.http.get('/api/sessions?limit=2', { token: w.adminToken });
    expect(first.body.items).toHaveLength(2);
    const second = await w.http.get(`/api/sessions?limit=2&cursor=${first.body.next_cursor}`, { token: w.adminToken });
    const ids = [...first.body.items, ...second.body.items].map((s: { id: string }) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await w.http.get('/api/sessions?cursor=bogus', { token: w.adminToken })).status).toBe(400);
  });

  it('narrows the list by live or ended, by label (any case) and by time, and refuses filters it does not know', async () => {
    const { agent: live, ok: liveOk } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'filter-Alpha-live');
    const { agent: gone, ok: goneOk } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'filter-alpha-ended');
    await gone.close();
    const ids = async (query: string) => {
      const res = await w.http.get(`/api/sessions?project=${w.projectId}&${query}`, { token: w.adminToken });
      expect(res.status).toBe(200);
      return res.body.items.map((s: { id: string }) => s.id);
    };
    expect(await ids('label=ALPHA')).toEqual([goneOk.session, liveOk.session]);
    await eventually(async () => !(await ids('label=alpha&state=live')).includes(goneOk.session), 5000, 'the closed session is no longer live');
    expect(await ids('label=alpha&state=live')).toEqual([liveOk.session]);
    expect(await ids('label=alpha&state=ended')).toEqual([goneOk.session]);
    expect(await ids(`label=alpha&since=${new Date(Date.now() + 3_600_000).toISOString()}`)).toEqual([]);
    expect(await ids(`label=alpha&until=${new Date(Date.now() - 3_600_000).toISOString()}`)).toEqual([]);
    expect(await ids(`label=alpha&since=${new Date(Date.now() - 3_600_000).toISOString()}&until=${new Date(Date.now() + 3_600_000).toISOString()}`)).toHaveLength(2);
    for (const bad of ['state=open', 'since=yesterday', `label=${'x'.repeat(201)}`]) {
      const res = await w.http.get(`/api/sessions?${bad}`, { token: w.adminToken });
      expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 'validation_failed']);
    }
    await live.close();
  });

  it('answers 404 for an unknown session and 403 to API keys', async () => {
    expect((await w.http.get('/api/sessions/00000000-0000-4000-8000-000000000000', { token: w.adminToken })).status).toBe(404);
    expect((await w.http.get('/api/sessions', { token: w.key })).status).toBe(403);
  });
});
