import { AgentSocket } from '../support/agent-socket.js';
import { type SessionsWorld, destructive, harmless, sessionsWorld } from '../sessions/support.js';
import { TEST_ADMIN } from '../support/app.js';
import { createUser } from '../support/fixtures.js';

// Long enough that only the NOTIFY on commit can explain another instance seeing the pause at once.
const LONG_TTL_MS = 3_600_000;

describe('pausing a project', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('monitor', 2, { policyCacheTtlMs: LONG_TTL_MS });
  });
  afterAll(() => w?.close());

  it('blocks every new event on every instance at once, naming who paused it, until resumed; audited', async () => {
    const { agent } = await AgentSocket.login(w.apps[1].wsUrl, w.key, 'pause-b');
    // Instance B has the project's policy cached (monitor mode: everything allowed).
    expect((await agent.decide('before', harmless)).decision).toBe('allow');

    const paused = await w.http.post(`/api/projects/${w.projectId}/pause`, { reason: 'agent deleting files' }, { token: w.adminToken });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused_by: TEST_ADMIN.email, pause_reason: 'agent deleting files' });
    expect(typeof paused.body.paused_at).toBe('string');

    // Monitor mode would allow it: the pause blocks in every mode.
    const blocked = await agent.decide('during', harmless);
    expect(blocked).toMatchObject({ type: 'verdict', decision: 'block', reason: `project paused by ${TEST_ADMIN.email}: agent deleting files` });
    expect((await agent.decide('during-2', destructive)).decision).toBe('block');
    expect((await w.http.get(`/api/projects/${w.projectId}`, { token: w.adminToken })).body.paused_by).toBe(TEST_ADMIN.email);

    expect((await w.http.post(`/api/projects/${w.projectId}/pause`, {}, { token: w.adminToken })).status).toBe(409);
    const resumed = await w.http.post(`/api/projects/${w.projectId}/resume`, {}, { token: w.adminToken });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused_at: null, paused_by: null, pause_reason: null });
    expect((await agent.decide('after', harmless)).decision).toBe('allow');
    expect((await w.http.post(`/api/projects/${w.projectId}/resume`, {}, { token: w.adminToken })).status).toBe(409);

    const audit = await w.db.pool.query("SELECT action, target_id FROM audit_entries WHERE action LIKE 'project.%ed' AND target_id = $1 ORDER BY id", [w.projectId]);
    expect(audit.rows).toEqual([
      { action: 'project.paused', target_id: w.projectId },
      { action: 'project.resumed', target_id: w.projectId },
    ]);
    await agent.close();
  });

  it('is for admins only, and 404 for an unknown project', async () => {
    const reviewer = await createUser(w.http, w.adminToken, 'reviewer');
    expect((await w.http.post(`/api/projects/${w.projectId}/pause`, {}, { token: reviewer.token })).status).toBe(403);
    expect((await w.http.post('/api/projects/00000000-0000-4000-8000-000000000000/pause', {}, { token: w.adminToken })).status).toBe(404);
    expect((await w.http.post(`/api/projects/${w.projectId}/pause`, { reason: 'x'.repeat(501) }, { token: w.adminToken })).status).toBe(400);
  });
});
