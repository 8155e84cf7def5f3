import { PrismaService } from '../../src/infra/database/prisma.service.js';
import { pgTransaction } from '../../src/infra/database/sql-transaction.js';
import { StreamEventsRepository } from '../../src/stream/stream-events.repository.js';
import { type SignedInPair, createProject, signedInPair } from '../support/fixtures.js';

/**
 * Readers go by id ("everything after N"), so feed ids must become visible in id order, whichever way they are
 * appended: inside a change's transaction (`append`) or in one statement of their own (`publish`).
 */
describe('feed appends', () => {
  let world: SignedInPair;
  let projectId: string;

  beforeAll(async () => {
    world = await signedInPair();
    projectId = (await createProject(world.http1, world.admin.token)).id;
  });
  afterAll(() => world?.close());

  it('never lets a reader that goes by id skip an event, under concurrent appends and publishes from two instances', async () => {
    const start = BigInt((await world.db.pool.query('SELECT COALESCE(max(id), 0)::text AS id FROM stream_events')).rows[0].id);
    const writers = [world.one, world.two].flatMap((app, a) => {
      const repo = app.app.get(StreamEventsRepository);
      const pool = app.app.get(PrismaService).pool;
      return Array.from({ length: 4 }, (_, w) => async () => {
        for (let i = 0; i < 25; i++) {
          const event = { projectId, type: 'session.connected' as const, payload: { writer: `${a}-${w}`, i } };
          // Half the writers publish alone, half append inside a transaction that does other work first.
          const ok = w % 2 ? await repo.publish([event, { ...event, payload: { ...event.payload, second: true } }]) : await pgTransaction(pool, async (tx) => {
            await tx.query('SELECT pg_sleep(0.001)');
            return repo.append(tx, [event]);
          });
          expect(ok).toBe(true);
        }
      });
    });
    // The reader: what it has seen must only ever grow at the end, never gain an id below its last one.
    let last = start;
    const seen: bigint[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const { rows } = await world.db.pool.query('SELECT s.id::text AS id FROM stream_events s WHERE s.id > $1 ORDER BY s.id', [last.toString()]);
        for (const r of rows) seen.push(BigInt(r.id));
        if (rows.length) last = BigInt(rows[rows.length - 1].id);
      }
    })();
    await Promise.all(writers.map((write) => write()));
    writing = false;
    await reader;
    const { rows } = await world.db.pool.query('SELECT s.id::text AS id FROM stream_events s WHERE s.id > $1 ORDER BY s.id', [start.toString()]);
    const all = rows.map((r) => BigInt(r.id));
    // 2 instances × (2 appending writers × 25 + 2 publishing writers × 25 × 2 events)
    expect(all).toHaveLength(300);
    expect(seen).toEqual(all.slice(0, seen.length));
  });

  it('drops a publish that cannot have the lock within 2 s, and logs the rest as usual', async () => {
    const repo = world.one.app.get(StreamEventsRepository);
    const holder = await world.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('arbiter_stream_events'))");
      const started = Date.now();
      expect(await repo.publish([{ projectId, type: 'session.connected', payload: { dropped: true } }])).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await repo.publish([{ projectId, type: 'session.connected', payload: { kept: true } }])).toBe(true);
    const { rows } = await world.db.pool.query("SELECT payload FROM stream_events WHERE payload ? 'dropped' OR payload ? 'kept'");
    expect(rows).toEqual([{ payload: { kept: true } }]);
  });
});
