import type pg from 'pg';
import { pgTransaction } from '../infra/database/sql-transaction.js';

/**
 * Removes up to `limit` of the oldest audit entries written before `cutoff`, and moves the chain's anchor to the
 * newest one removed, so the kept chain still verifies from there. Only a prefix of the chain goes (in seq order,
 * stopping at the first entry still young enough), so the anchor always names the entry just before the oldest kept.
 * Returns how many entries went.
 */
export async function pruneAuditEntries(pool: pg.Pool, cutoff: Date, limit: number): Promise<number> {
  return pgTransaction(pool, async (tx) => {
    // The anchor row's lock serializes pruners on every instance: the next one reads (in a new statement, so with a
    // new snapshot) what this one left, and never removes a batch twice or moves the anchor backwards.
    await tx.query('SELECT 1 FROM audit_chain_anchor WHERE id = 1 FOR UPDATE');
    const [row] = await tx.query<{ removed: number }>(
      `WITH oldest AS (
         SELECT id, seq, hash, bool_and(at < $1::timestamptz) OVER (ORDER BY seq) AS expired
           FROM (SELECT id, seq, hash, at FROM audit_entries ORDER BY seq LIMIT $2::int) o
       ), removed AS (
         DELETE FROM audit_entries a USING oldest o WHERE a.id = o.id AND o.expired RETURNING a.seq, a.hash
       ), newest AS (
         SELECT seq, hash FROM removed ORDER BY seq DESC LIMIT 1
       ), anchored AS (
         UPDATE audit_chain_anchor c SET seq = n.seq, hash = n.hash, removed_at = now() FROM newest n WHERE c.id = 1 RETURNING 1
       )
       SELECT (SELECT count(*) FROM removed)::int AS removed, (SELECT count(*) FROM anchored)::int AS anchored`,
      [cutoff, limit],
      'arbiter_audit_prune',
    );
    return row.removed;
  });
}
