import { AgentSocket } from '../support/agent-socket.js';
import { type SignedInApp, createApiKey, createProject, createUser, signedInApp, waitFor } from '../support/fixtures.js';

describe('API key list: creator, last use and live connections', () => {
  let world: SignedInApp;
  let { instance, http, admin } = {} as SignedInApp;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await signedInApp();
    ({ instance, http, admin } = world);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await world?.close();
  });

  it("lists each key with its creator's email, its last use and the sessions connected with it now", async () => {
    const project = await createProject(http, admin.token);
    const otherAdmin = await createUser(http, admin.token, 'admin');
    const busy = await createApiKey(http, admin.token, project.id, 'busy');
    const idle = await createApiKey(http, otherAdmin.token, project.id, 'idle');

    const created = await http.post(`/api/projects/${project.id}/api-keys`, { name: 'fresh' }, { token: admin.token });
    expect(created.body).toMatchObject({ created_by: admin.id, created_by_email: admin.email, live_connections: 0, last_used_at: null });

    for (const session of ['s-1', 's-2']) {
      const { agent } = await AgentSocket.login(instance.wsUrl, busy.key, session);
      sockets.push(agent);
    }
    const list = async () => {
      const res = await http.get(`/api/projects/${project.id}/api-keys`, { token: admin.token });
      expect(res.status).toBe(200);
      return new Map<string, Record<string, unknown>>(res.body.items.map((k: { name: string }) => [k.name, k]));
    };
    // last_used_at is written beside the login, not before login_ok: wait for it.
    const keys = await waitFor('the busy key marked used', async () => ((await list()).get('busy')?.last_used_at ? list() : undefined), 5000);
    expect(keys.get('busy')).toMatchObject({ id: busy.id, created_by_email: admin.email, live_connections: 2, last_used_at: expect.any(String) });
    expect(keys.get('idle')).toMatchObject({ id: idle.id, created_by: otherAdmin.id, created_by_email: otherAdmin.email, live_connections: 0, last_used_at: null });

    // A closed socket releases its lease, and the count follows.
    await sockets.pop()!.close();
    await waitFor('one live connection left', async () => ((await list()).get('busy')!.live_connections === 1 ? true : undefined), 5000);
  });

  it('pages the list newest first with the same fields', async () => {
    const project = await createProject(http, admin.token);
    const names = ['k1', 'k2', 'k3'];
    for (const name of names) await createApiKey(http, admin.token, project.id, name);
    const first = await http.get(`/api/projects/${project.id}/api-keys?limit=2`, { token: admin.token });
    const second = await http.get(`/api/projects/${project.id}/api-keys?limit=2&cursor=${first.body.next_cursor}`, { token: admin.token });
    expect([...first.body.items, ...second.body.items].map((k: { name: string }) => k.name)).toEqual(['k3', 'k2', 'k1']);
    expect(second.body.next_cursor).toBeNull();
    expect(second.body.items[0]).toMatchObject({ created_by_email: admin.email, live_connections: 0 });
  });
});
