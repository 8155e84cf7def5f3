import { type TestApp, startApp } from '../support/app.js';
import { AgentSocket } from '../support/agent-socket.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { createApiKey, createProject, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

/**
 * The failure Arbiter was born from: a second API key logging in with the same client-chosen session_id must not
 * receive the first agent's verdicts, and the first agent must keep receiving its own.
 */
describe('session takeover regression', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    [one, two] = await Promise.all([startApp(db.url), startApp(db.url)]);
    const http = new HttpClient(one.url);
    const admin = await signInAdmin(http);
    const project = await createProject(http, admin.token, { mode: 'block' });
    keyA = (await createApiKey(http, admin.token, project.id, 'agent-a')).key;
    keyB = (await createApiKey(http, admin.token, project.id, 'agent-b')).key;
  });

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await db?.drop();
  });

  async function scenario(aUrl: string, bUrl: string, label: string): Promise<void> {
    const sessionId = 'sess-shared-demo';
    const a = await AgentSocket.login(aUrl, keyA, sessionId);
    const before = await a.agent.decide(`${label}-evt-before`);
    expect(before).toMatchObject({ type: 'verdict', event_id: `${label}-evt-before`, decision: 'allow' });

    const b = await AgentSocket.login(bUrl, keyB, sessionId);
    // Two keys, one label: two separate server-owned sessions.
    expect(b.ok.session).not.toBe(a.ok.session);

    const after = await a.agent.decide(`${label}-evt-after`);
    expect(after).toMatchObject({ type: 'verdict', event_id: `${label}-evt-after` });

    // B sends something of its own, so we know its connection is live and caught up with the server.
    await b.agent.decide(`${label}-b-own`);
    expect(b.agent.frames.filter((f) => String(f.event_id ?? '').startsWith(`${label}-evt`))).toEqual([]);
    expect(a.agent.readyState).toBe(1);

    const rows = await db.pool.query('SELECT api_key_id, external_id FROM agent_sessions WHERE external_id = $1 ORDER BY created_at', [sessionId]);
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
    await Promise.all([a.agent.close(), b.agent.close()]);
  }

  it('keeps verdicts with their own key on one instance', async () => {
    await scenario(one.wsUrl, one.wsUrl, 'single');
  });

  it('keeps verdicts with their own key when the two agents are on two instances', async () => {
    await scenario(one.wsUrl, two.wsUrl, 'cross');
  });
});
