import { AgentSocket, eventually } from '../support/agent-socket.js';
import { createApiKey } from '../support/fixtures.js';
import { type SessionsWorld, sessionsWorld } from './support.js';

/** Leases of the key's sessions that are still running (a lease is renewed only while its socket lives). */
async function runningLeases(w: SessionsWorld, apiKeyId: string): Promise<number> {
  const { rows } = await w.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM agent_sessions WHERE api_key_id = $1 AND lease_expires_at > now()',
    [apiKeyId],
  );
  return rows[0].n;
}

/** How a socket closed, or -1 if it is still open after `ms`. */
async function closedWithin(agent: AgentSocket, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(-1), ms)));
  try {
    return await Promise.race([agent.closed.then((c) => c.code), open]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a key revoked while its agents are logging in', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    // Short leases, so a lease that was kept running would show within the test.
    // The race is between logins and a revocation, not the per-address limit on sockets not yet logged in: all the
    // logins come from 127.0.0.1, and under CI load more than the default 32 were still logging in at once (429).
    w = await sessionsWorld('block', 2, { leaseSeconds: 3, wsMaxUnauthenticatedPerAddress: 1000 });
  });
  afterAll(() => w?.close());

  it('closes a login held between its key check and its claim when the revocation lands in between, and keeps no lease', async () => {
    const key = await createApiKey(w.http, w.adminToken, w.projectId, 'revoked-mid-login');
    // The session exists with a free lease, so the next login's claim locks its row first.
    const before = await AgentSocket.login(w.apps[0].wsUrl, key.key, 'held-login');
    await before.agent.close();
    await eventually(async () => (await runningLeases(w, key.id)) === 0, 5000, 'the lease released');
    // A live socket of the same key: its close tells us the revocation's NOTIFY reached the instance.
    const witness = await AgentSocket.login(w.apps[0].wsUrl, key.key, 'witness');

    const lock = await w.db.pool.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT id FROM agent_sessions WHERE id = $1 FOR UPDATE', [before.ok.session]);
      const racing = await AgentSocket.open(w.apps[0].wsUrl, key.key);
      racing.send({ type: 'login', session_id: 'held-login' });
      // The login has checked its key and waits on the row: between its checks.
      await eventually(
        async () =>
          (
            await w.db.pool.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%agent_sessions%'",
            )
          ).rows[0].n > 0,
        5000,
        'the login waiting on the session row',
      );
      expect((await w.http.delete(`/api/api-keys/${key.id}`, { token: w.adminToken })).status).toBe(204);
      expect((await witness.agent.closed).code).toBe(4401);
      await lock.query('COMMIT');

      expect(await closedWithin(racing, 5000)).toBe(4401);
      expect(racing.frames.filter((f) => f.type === 'login_ok')).toEqual([]);
      await eventually(async () => (await runningLeases(w, key.id)) === 0, 5000, 'no running lease of the revoked key');
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      lock.release();
    }
  });

  it('leaves no socket open and no lease running among 120 logins on two instances racing a revocation', async () => {
    const key = await createApiKey(w.http, w.adminToken, w.projectId, 'revoked-in-a-storm');
    const attempts = Array.from({ length: 120 }, async (_, i) => {
      const agent = await AgentSocket.open(w.apps[i % 2].wsUrl, key.key);
      agent.send({ type: 'login', session_id: `storm-${i}` });
      return agent;
    });
    // Revoke once about half the logins have been sent.
    const agents = await Promise.all(
      attempts.map(async (attempt, i) => {
        const agent = await attempt;
        if (i === 60) await w.http.delete(`/api/api-keys/${key.id}`, { token: w.adminToken });
        return agent;
      }),
    );
    const codes = await Promise.all(agents.map((a) => closedWithin(a, 10_000)));
    process.stdout.write(`storm: ${agents.filter((a) => a.frames.some((f) => f.type === 'login_ok')).length} of 120 logged in before the revocation closed them\n`);
    expect(codes.every((c) => c === 4401)).toBe(true);
    await eventually(async () => (await runningLeases(w, key.id)) === 0, 5000, 'no running lease of the revoked key');
  });
});
