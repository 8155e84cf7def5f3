import type pg from 'pg';

/** What one batch did. */
export interface EventBatch {
  removed: number;
  /** Sessions whose transcript this batch began to remove (their share links answer 410 once none is left). */
  sessions: number;
}

/**
 * Removes up to `limit` events past their project's retention (`retention_days`, else `defaultDays`), with what
 * hangs off them by foreign key (verdicts, reviews and their announcements), and marks their sessions: ONE
 * statement. An event with a pending review stays, whatever its age. `SKIP LOCKED` hands each row to one remover
 * only, so instances running this at once take disjoint batches instead of waiting on, or repeating, each other.
 * Sessions are found through the (project_id, created_at) index and their events through (session_id, seq), so a
 * pass reads only the old sessions' events.
 */
export async function removeExpiredEvents(db: pg.Pool | pg.PoolClient, defaultDays: number, limit: number): Promise<EventBatch> {
  const { rows } = await db.query<EventBatch>({
    name: 'arbiter_retention_events',
    text: `WITH doomed AS (
         SELECT e.id FROM projects p
           JOIN agent_sessions s ON s.project_id = p.id
           JOIN agent_events e ON e.session_id = s.id
          WHERE s.created_at < statement_timestamp() - make_interval(days => COALESCE(p.retention_days, $1::int))
            AND e.created_at < statement_timestamp() - make_interval(days => COALESCE(p.retention_days, $1::int))
            AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.event_row_id = e.id AND r.status = 'pending')
          LIMIT $2::int
            FOR UPDATE OF e SKIP LOCKED
       ), removed AS (
         DELETE FROM agent_events e USING doomed d WHERE e.id = d.id RETURNING e.session_id
       ), unmarked AS (
         -- SKIP LOCKED here too: a session another remover is marking right now is marked by it, not waited for.
         SELECT s.id FROM agent_sessions s
          WHERE s.id IN (SELECT session_id FROM removed) AND s.transcript_removed_at IS NULL
            FOR NO KEY UPDATE SKIP LOCKED
       ), marked AS (
         UPDATE agent_sessions s SET transcript_removed_at = statement_timestamp() FROM unmarked u WHERE s.id = u.id
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM removed)::int AS removed, (SELECT count(*) FROM marked)::int AS sessions`,
    values: [defaultDays, limit],
  });
  return rows[0];
}
