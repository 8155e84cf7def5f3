import { AgentSocket } from '../support/agent-socket.js';
import { type SignedInPair, createApiKey, createProject, signedInPair } from '../support/fixtures.js';
import { pruneAuditEntries } from '../../src/audit/audit-retention.js';

interface Report {
  ok: boolean;
  checked: number;
  anchor: { seq: string; hash: string };
  head: { seq: string; hash: string };
  broken: { seq: string; id: string | null; problem: string; message: string } | null;
}

describe('the audit hash chain', () => {
  let world: SignedInPair;

  beforeAll(async () => {
    world = await signedInPair();
  });

  afterAll(() => world?.close());

  async function verify(through = world.http1): Promise<Report> {
    const res = await through.get('/api/audit/verify', { token: world.admin.token });
    expect(res.status).toBe(200);
    return res.body as Report;
  }

  async function entry(seq: number): Promise<Record<string, unknown> & { id: string; hash: string; at: Date }> {
    const { rows } = await world.db.pool.query('SELECT * FROM audit_entries WHERE seq = $1', [seq]);
    return rows[0];
  }

  /** Runs tampering SQL as an attacker with table access would: the chain trigger switched off. */
  async function tamper(statements: string[], values: unknown[][] = []): Promise<void> {
    const client = await world.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_chain');
      for (const [i, sql] of statements.entries()) await client.query(sql, values[i] ?? []);
      await client.query('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_chain');
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  }

  it('stays one chain, with no fork and no gap, under 20 concurrent writers on two instances, a review decision among them', async () => {
    const { http1, http2, one, admin } = world;
    // A review decision writes its entry inside one CTE statement, not through AuditService.
    const project = await createProject(http1, admin.token, { mode: 'hitl' });
    const put = await http1.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [{ tool: 'shell.*', action: 'review' }] }, { token: admin.token });
    expect(put.status).toBe(200);
    const key = await createApiKey(http1, admin.token, project.id);
    const { agent } = await AgentSocket.login(one.wsUrl, key.key, 'chain-session');
    const held = await agent.decide('e-held', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } });
    expect(held.review_id).toEqual(expect.any(String));

    const writers = Array.from({ length: 20 }, (_, i) => {
      const http = i % 2 === 0 ? http1 : http2;
      if (i === 7) return http.post(`/api/reviews/${held.review_id}/decision`, { decision: 'approve', note: 'during the rush' }, { token: admin.token });
      return http.post('/api/projects', { name: `chain-${i}` }, { token: admin.token });
    });
    const results = await Promise.all(writers);
    expect(results.map((r) => r.status)).toEqual(results.map((_, i) => (i === 7 ? 200 : 201)));
    await agent.close();

    const { rows } = await world.db.pool.query<{ seq: string; prev_hash: string; hash: string; action: string }>(
      'SELECT seq::text, prev_hash, hash, action FROM audit_entries ORDER BY audit_entries.seq',
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
    expect(rows.filter((r) => r.action === 'review.decide')).toHaveLength(1);
    expect(rows.filter((r) => r.action === 'project.create')).toHaveLength(20);

    for (const http of [http1, http2]) {
      const report = await verify(http);
      expect(report).toEqual({ ok: true, checked: rows.length, anchor: { seq: '0', hash: '0'.repeat(64) }, head: { seq: rows.at(-1)!.seq, hash: rows.at(-1)!.hash }, broken: null });
    }
  });

  it('detects an altered entry at that entry, and holds again once it is put back', async () => {
    const original = await entry(5);
    await world.db.pool.query(`UPDATE audit_entries SET details = details || '{"note":"nothing to see"}' WHERE seq = 5`);
    expect((await verify()).broken).toEqual({ seq: '5', id: original.id.toString(), problem: 'altered', message: expect.stringContaining('does not match its hash') });

    // Re-hashing the altered entry does not hide it: the next entry still links to the old hash.
    await tamper(['UPDATE audit_entries a SET hash = audit_entry_hash(a) WHERE seq = 5']);
    expect((await verify()).broken).toMatchObject({ seq: '5', problem: 'altered', message: expect.stringContaining('recomputed') });

    await tamper(['UPDATE audit_entries SET details = $1, hash = $2 WHERE seq = 5'], [[original.details, original.hash]]);
    expect((await verify()).ok).toBe(true);
  });

  it('detects a deleted entry at its seq, in the middle and at either end', async () => {
    const report = await verify();
    const newest = Number(report.head.seq);
    for (const seq of [1, 9, newest]) {
      const gone = await entry(seq);
      await world.db.pool.query('DELETE FROM audit_entries WHERE seq = $1', [seq]);
      expect((await verify()).broken).toEqual({ seq: String(seq), id: null, problem: 'deleted', message: expect.stringContaining(`entry ${seq} was deleted`) });
      await tamper([
        `INSERT INTO audit_entries (id, actor_type, actor_id, action, target_type, target_id, details, at, request_id, seq, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      ], [[gone.id, gone.actor_type, gone.actor_id, gone.action, gone.target_type, gone.target_id, gone.details, gone.at, gone.request_id, gone.seq, gone.prev_hash, gone.hash]]);
      expect((await verify()).ok).toBe(true);
    }
  });

  it('detects an inserted entry at that entry, even one hashed and linked as the chain would have', async () => {
    const before = await entry(11);
    // The attacker makes room at seq 12 and writes a well-formed entry there, linked to entry 11.
    await tamper([
      'UPDATE audit_entries SET seq = -seq - 1 WHERE seq >= 12',
      'UPDATE audit_entries SET seq = -seq WHERE seq < 0',
      `INSERT INTO audit_entries (id, actor_type, actor_id, action, details, at, seq, prev_hash, hash)
       VALUES (900001, 'user', 'someone', 'review.decide', '{"decision":"approve"}', now(), 12, $1, '')`,
      'UPDATE audit_entries a SET hash = audit_entry_hash(a) WHERE id = 900001',
    ], [[], [], [before.hash]]);
    expect((await verify()).broken).toEqual({ seq: '12', id: '900001', problem: 'inserted', message: expect.stringContaining('links over it') });
    await tamper(['DELETE FROM audit_entries WHERE id = 900001', 'UPDATE audit_entries SET seq = -seq + 1 WHERE seq > 12', 'UPDATE audit_entries SET seq = -seq WHERE seq < 0']);
    expect((await verify()).ok).toBe(true);

    // An entry past the head (appended without the trigger, so the head never heard of it).
    const head = (await verify()).head;
    const next = String(Number(head.seq) + 1);
    await tamper([`INSERT INTO audit_entries (id, actor_type, action, seq, prev_hash, hash) VALUES (900002, 'system', 'forged', $1, $2, 'x')`], [[next, head.hash]]);
    expect((await verify()).broken).toEqual({ seq: next, id: '900002', problem: 'inserted', message: expect.stringContaining("past the chain's head") });
    await world.db.pool.query('DELETE FROM audit_entries WHERE id = 900002');
    expect((await verify()).ok).toBe(true);
  });

  it('verifies from the anchor after retention removed the oldest entries, and still sees a deletion right after it', async () => {
    const cutoff = (await entry(8)).at as Date;
    const { rows: expired } = await world.db.pool.query('SELECT count(*)::int AS n FROM audit_entries WHERE seq < 8 AND at < $1', [cutoff]);
    expect(expired[0].n).toBeGreaterThan(0);
    // A batch of 3, then the rest: the anchor moves with each.
    expect(await pruneAuditEntries(world.db.pool, cutoff, 3)).toBe(3);
    expect(await verify()).toMatchObject({ ok: true, anchor: { seq: '3', hash: (await world.db.pool.query('SELECT prev_hash FROM audit_entries WHERE seq = 4')).rows[0].prev_hash } });
    const removedRest = await pruneAuditEntries(world.db.pool, cutoff, 1000);
    const report = await verify();
    expect(report.ok).toBe(true);
    const anchorSeq = Number(report.anchor.seq);
    expect(anchorSeq).toBe(3 + removedRest);
    const { rows } = await world.db.pool.query('SELECT min(seq)::int AS first, count(*)::int AS n FROM audit_entries');
    expect(rows[0].first).toBe(anchorSeq + 1);
    expect(report.checked).toBe(rows[0].n);

    // The anchor is what verification starts from: removing the oldest kept entry by hand is still a deletion.
    await world.db.pool.query('DELETE FROM audit_entries WHERE seq = $1', [anchorSeq + 1]);
    expect((await verify()).broken).toMatchObject({ seq: String(anchorSeq + 1), problem: 'deleted' });
  });
});
