import { AgentSocket } from '../support/agent-socket.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

/**
 * Lease renewals turn a wheel: each live session is renewed about once per third of a lease, in small statements
 * spread over that period, never in the waves the sessions logged in.
 */
describe('lease renewal', () => {
  let w: SessionsWorld;
  const LEASE_SECONDS = 2;

  beforeAll(async () => {
    w = await sessionsWorld('block', 1, { leaseSeconds: LEASE_SECONDS });
  });
  afterAll(() => w?.close());

  it('keeps the leases of live sessions logged in together from ever lapsing, renewing them a few at a time', async () => {
    const agents = await Promise.all(Array.from({ length: 30 }, (_, i) => AgentSocket.login(w.apps[0].wsUrl, w.key, `renewed-${i}`)));
    const ids: string[] = agents.map((a) => a.ok.session);
    const expiries = new Map<string, Set<number>>(ids.map((id) => [id, new Set()]));
    let lapsed = 0;
    // Three lease lengths: without renewals every lease would have lapsed twice over.
    const until = Date.now() + 3 * LEASE_SECONDS * 1000;
    while (Date.now() < until) {
      const { rows } = await w.db.pool.query<{ id: string; expires: Date; lapsed: boolean }>(
        'SELECT id::text AS id, lease_expires_at AS expires, lease_expires_at <= now() AS lapsed FROM agent_sessions WHERE id = ANY($1::uuid[])',
        [ids],
      );
      expect(rows).toHaveLength(ids.length);
      for (const r of rows) {
        if (r.lapsed) lapsed++;
        expiries.get(r.id)!.add(r.expires.getTime());
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lapsed).toBe(0);
    // Every session was renewed several times, and a renewal statement (one instant, now() of its transaction) took a
    // few of the 30 sessions, not all of them together as they had logged in.
    for (const seen of expiries.values()) expect(seen.size).toBeGreaterThanOrEqual(3);
    const sessionsPerRenewal = new Map<number, number>();
    for (const seen of expiries.values()) for (const at of [...seen].slice(1)) sessionsPerRenewal.set(at, (sessionsPerRenewal.get(at) ?? 0) + 1);
    expect(Math.max(...sessionsPerRenewal.values())).toBeLessThanOrEqual(ids.length / 2);
    for (const [i, { agent }] of agents.entries()) expect(await agent.decide(`after-${i}`, harmless)).toMatchObject({ decision: 'allow' });
    await Promise.all(agents.map((a) => a.agent.close()));
  });
});
