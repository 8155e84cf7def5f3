import { AgentSocket } from '../support/agent-socket.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { type SignedInPair, createApiKey, createProject, signedInPair, waitFor } from '../support/fixtures.js';
import { removeExpiredEvents } from '../../src/retention/retention.repository.js';

describe('retention', () => {
  describe('on two running instances', () => {
    let world: SignedInPair;
    const sockets: AgentSocket[] = [];

    beforeAll(async () => {
      world = await signedInPair({ retentionIntervalMs: 200, retentionDays: 30 });
    });

    afterAll(async () => {
      await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
      await world?.close();
    });

    async function agentOn(projectId: string, sessionId: string): Promise<{ agent: AgentSocket; session: string }> {
      const key = await createApiKey(world.http1, world.admin.token, projectId);
      const { agent, ok } = await AgentSocket.login(world.one.wsUrl, key.key, sessionId);
      sockets.push(agent);
      return { agent, session: ok.session as string };
    }

    /** Ages rows by SQL, as if written `days` ago. */
    async function age(sessionId: string, eventIds: string[], days: number): Promise<void> {
      await world.db.pool.query(`UPDATE agent_sessions SET created_at = now() - make_interval(days => $2) WHERE id = $1`, [sessionId, days]);
      await world.db.pool.query(`UPDATE agent_events SET created_at = now() - make_interval(days => $3) WHERE session_id = $1 AND event_id = ANY($2)`, [sessionId, eventIds, days]);
    }

    const eventsOf = async (sessionId: string): Promise<string[]> =>
      (await world.db.pool.query('SELECT event_id FROM agent_events WHERE session_id = $1 ORDER BY seq', [sessionId])).rows.map((r) => r.event_id);

    it('removes events (with verdicts and reviews) past their project’s retention on its own, keeps fresh ones and pending reviews, and a share link to a removed transcript answers 410', async () => {
      const { http1, http2, admin, db } = world;
      // A project keeping one day, with a review rule; another on the server's default (30 days).
      const short = await createProject(http1, admin.token, { mode: 'hitl' });
      expect((await http1.put(`/api/projects/${short.id}/rules`, { default_action: 'allow', rules: [{ tool: 'shell.*', action: 'review' }] }, { token: admin.token })).status).toBe(200);
      await db.pool.query('UPDATE projects SET retention_days = 1 WHERE id = $1', [short.id]);
      const long = await createProject(http1, admin.token);

      const a = await agentOn(short.id, 'mixed');
      await a.agent.decide('old-allowed');
      const pending = await a.agent.decide('old-pending', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } });
      const decided = await a.agent.decide('old-decided', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'pwd' } });
      expect((await http2.post(`/api/reviews/${decided.review_id}/decision`, { decision: 'approve' }, { token: admin.token })).status).toBe(200);
      await a.agent.verdictFor('old-decided');
      await a.agent.decide('fresh');

      const b = await agentOn(short.id, 'all-old');
      await b.agent.decide('b-1');
      await b.agent.decide('b-2');
      const share = await http1.post(`/api/sessions/${b.session}/shares`, {}, { token: admin.token });
      expect(share.status).toBe(201);

      const c = await agentOn(long.id, 'default-retention');
      await c.agent.decide('c-3-days');
      await c.agent.decide('c-40-days');

      await age(a.session, ['old-allowed', 'old-pending', 'old-decided'], 2);
      await age(b.session, ['b-1', 'b-2'], 2);
      await age(c.session, ['c-3-days'], 3);
      await age(c.session, ['c-40-days'], 40);

      await waitFor('the expired events removed', async () => ((await eventsOf(b.session)).length === 0 && (await eventsOf(c.session)).length === 1 ? true : undefined), 10_000);
      await waitFor('the decided event removed', async () => ((await eventsOf(a.session)).includes('old-decided') ? undefined : true), 10_000);
      expect(await eventsOf(a.session)).toEqual(['old-pending', 'fresh']);
      expect(await eventsOf(c.session)).toEqual(['c-3-days']);
      const { rows: reviews } = await db.pool.query('SELECT id::text, status::text FROM reviews WHERE session_id = $1', [a.session]);
      expect(reviews).toEqual([{ id: pending.review_id, status: 'pending' }]);
      const { rows: verdicts } = await db.pool.query('SELECT count(*)::int AS n FROM verdicts WHERE session_id = ANY($1)', [[a.session, b.session]]);
      // Left: the verdict of the fresh event only (the pending one has none yet).
      expect(verdicts[0].n).toBe(1);

      const gone = await http1.post(`/api/public/shares/${share.body.token}/views`);
      expect(gone.status).toBe(410);
      expect(gone.body.error).toEqual({ code: 'transcript_deleted', message: expect.stringContaining('retention') });
      // The pending review is still decidable after the passes.
      expect((await http1.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'deny' }, { token: admin.token })).status).toBe(200);
    });
  });

  describe('batches', () => {
    let db: TestDatabase;

    beforeAll(async () => {
      db = await createTestDatabase();
    });

    afterAll(() => db?.drop());

    it('two removers running at once take disjoint batches: every batch is full until the last, and nothing is removed twice', async () => {
      const { rows: [p] } = await db.pool.query(`INSERT INTO projects (id, name, retention_days) VALUES (gen_random_uuid(), 'batches', 1) RETURNING id`);
      const { rows: [k] } = await db.pool.query(`INSERT INTO api_keys (id, project_id, name, prefix, secret_hash) VALUES (gen_random_uuid(), $1, 'k', 'pfx', 'h') RETURNING id`, [p.id]);
      const { rows: [s] } = await db.pool.query(
        `INSERT INTO agent_sessions (id, project_id, api_key_id, external_id, created_at) VALUES (gen_random_uuid(), $1, $2, 's', now() - interval '5 days') RETURNING id`,
        [p.id, k.id],
      );
      await db.pool.query(
        `INSERT INTO agent_events (id, session_id, event_id, kind, input_sha256, rule_action, created_at)
         SELECT gen_random_uuid(), $1, 'e-' || n, 'tool', 'x', 'allow', now() - interval '5 days' FROM generate_series(1, 1000) n`,
        [s.id],
      );
      // One remover holds its batch (its transaction open); the other must not wait for it, nor take the same rows.
      const holder = await db.pool.connect();
      try {
        await holder.query('BEGIN');
        expect(await removeExpiredEvents(holder, 30, 20)).toEqual({ removed: 20, sessions: 1 });
        const other = await Promise.race([
          removeExpiredEvents(db.pool, 30, 20),
          new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5000).unref()),
        ]);
        expect(other).toEqual({ removed: 20, sessions: 0 });
        await holder.query('COMMIT');
      } finally {
        holder.release();
      }
      // Then two removers at once until nothing is left: only each one's last batch comes up short.
      const batches: number[][] = [[], []];
      await Promise.all(
        [0, 1].map(async (who) => {
          for (;;) {
            const { removed } = await removeExpiredEvents(db.pool, 30, 20);
            batches[who].push(removed);
            if (removed < 20) return;
          }
        }),
      );
      expect([...batches[0], ...batches[1]].reduce((x, y) => x + y, 0)).toBe(960);
      for (const mine of batches) expect(mine.slice(0, -1).every((n) => n === 20)).toBe(true);
      const { rows } = await db.pool.query('SELECT count(*)::int AS n, (SELECT transcript_removed_at IS NOT NULL FROM agent_sessions WHERE id = $1) AS marked FROM agent_events', [s.id]);
      expect(rows[0]).toEqual({ n: 0, marked: true });
    });
  });
});
