import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { SqlTx } from '../infra/database/sql-transaction.js';
import { type NewStreamEvent, type StreamEventRow, streamAppendedChannel } from './stream-event.js';

/**
 * The feed's append lock (see `append`), for the select list of a statement that appends to the feed, with
 * lock_timeout set before it is asked for (a select list is evaluated left to right). `IS NULL` turns the lock's void
 * result into a column type Prisma can read, for callers in a Prisma transaction.
 */
export const APPEND_LOCK = `set_config('lock_timeout', '2s', true), pg_advisory_xact_lock(hashtext('arbiter_stream_events')) IS NULL AS locked`;

/**
 * The dashboard feed's event log. Appending happens inside the transaction of the change it reports, so an event is
 * logged exactly when its change commits.
 */
@Injectable()
export class StreamEventsRepository {
  private readonly logger = new Logger(StreamEventsRepository.name);

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends events inside `tx` and notifies every instance on commit. Call it last in the transaction: it takes a
   * lock that is held until commit.
   *
   * Why the lock: readers go by id ("everything after N"), so ids must become visible in id order. Without it, a
   * transaction holding id 10 could commit after one holding id 11, and a client that had seen 11 would never get 10.
   * Serialising the inserts until commit makes commit order and id order the same. It is held for the last
   * statements of a transaction only (milliseconds).
   *
   * The feed must never cost the change it reports: if the lock cannot be had within 2 s (a stalled holder), the
   * events are dropped (savepoint rolled back, warning logged) and the caller's transaction commits without them.
   * A holder left idle in its transaction for 10 s is disconnected by the server, which frees the lock.
   * Returns false when the events were dropped.
   */
  async append(tx: SqlTx, events: NewStreamEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    const lock = `SELECT ${APPEND_LOCK}, set_config('idle_in_transaction_session_timeout', '10s', true)`;
    if (!tx.script) await tx.query('SAVEPOINT stream_append');
    try {
      if (tx.script) await tx.script(['SAVEPOINT stream_append', lock]);
      else await tx.query(lock);
      await tx.query(
        `WITH appended AS (
           INSERT INTO stream_events (project_id, type, payload)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])
         )
         SELECT pg_notify($4, '{}') IS NULL AS notified`,
        this.appendParameters(events),
        'arbiter_stream_append',
      );
      // The savepoint is left to the commit: this is the transaction's last work.
      return true;
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT stream_append');
      this.logger.warn(`dropped ${events.length} feed event(s) (${events.map((e) => e.type).join(', ')}): ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * Appends in ONE autocommitted statement, for events that report something already committed (a socket opening, a
   * decision): the lock, the insert and the NOTIFY in one round trip instead of four. The lock comes first: every
   * row the insert numbers needs the one-row `locked` joined to it. Returns false when the events were dropped (the
   * lock not had within 2 s; logged).
   */
  async publish(events: NewStreamEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    try {
      await this.prisma.pool.query({
        name: 'arbiter_stream_publish',
        text: `WITH locked AS MATERIALIZED (SELECT ${APPEND_LOCK}),
           appended AS (
             INSERT INTO stream_events (project_id, type, payload)
             SELECT e.project_id, e.type, e.payload FROM locked CROSS JOIN unnest($1::uuid[], $2::text[], $3::jsonb[]) AS e(project_id, type, payload)
           )
           SELECT pg_notify($4, '{}') IS NULL AS notified`,
        values: this.appendParameters(events),
      });
      return true;
    } catch (err) {
      this.logger.warn(`dropped ${events.length} feed event(s) (${events.map((e) => e.type).join(', ')}): ${(err as Error).message}`);
      return false;
    }
  }

  private appendParameters(events: NewStreamEvent[]): unknown[] {
    return [events.map((e) => e.projectId), events.map((e) => e.type), events.map((e) => JSON.stringify(e.payload)), streamAppendedChannel.name];
  }

  /** Events after `id`, oldest first. Every instance runs it on every append while it has clients: raw, prepared. */
  async after(id: bigint, limit: number): Promise<StreamEventRow[]> {
    const { rows } = await this.prisma.pool.query<Omit<StreamEventRow, 'id'> & { id: string }>({
      name: 'arbiter_stream_after',
      text: `SELECT s.id::text AS id, s.project_id::text AS project_id, s.type, s.payload, s.created_at
               FROM stream_events s WHERE s.id > $1::bigint ORDER BY s.id LIMIT $2::int`,
      values: [id.toString(), limit],
    });
    return rows.map((r) => ({ ...r, id: BigInt(r.id) }));
  }

  async latestId(): Promise<bigint> {
    const { rows } = await this.prisma.pool.query<{ id: string }>({
      name: 'arbiter_stream_latest_id',
      text: 'SELECT COALESCE(max(id), 0)::text AS id FROM stream_events',
    });
    return BigInt(rows[0].id);
  }

  /** Whether the event a client last saw is still in the log (if not, it may have missed pruned events). */
  async retains(id: bigint): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`SELECT 1 FROM stream_events WHERE id = ${id}::bigint`;
    return rows.length > 0;
  }

  /**
   * Deletes events older than `retentionSeconds`, but never the newest one, so a client that saw it can still tell
   * that it missed nothing. Concurrent runs on several instances only delete the same rows twice over (a no-op).
   */
  async prune(retentionSeconds: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM stream_events
       WHERE created_at < now() - make_interval(secs => ${retentionSeconds}::int)
         AND id < (SELECT max(id) FROM stream_events)`;
  }
}
