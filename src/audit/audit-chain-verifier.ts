import type pg from 'pg';
import { type BrokenLink, type ChainEntry, type ChainLink, ChainWalker } from './audit-chain.js';

/** Entries read per statement: a walk of any length holds one batch. */
const VERIFY_BATCH = 1000;

export interface ChainReport {
  ok: boolean;
  /** Entries whose hash and link were checked and held. */
  checked: number;
  /** Where the kept chain starts: the last entry retention removed (seq 0 and the genesis hash when none). */
  anchor: ChainLink;
  /** The chain's newest link, as the head row recorded it. */
  head: ChainLink;
  /** The first broken link, or null when the whole chain holds. */
  broken: BrokenLink | null;
}

const ENTRY_COLUMNS = `id::text AS id, seq::text AS seq, prev_hash, hash, actor_type::text AS actor_type, actor_id, action, target_type, target_id,
  details::text AS details, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, request_id`;

/**
 * Walks the whole audit chain in seq order, from the anchor to the head, and reports the first broken link. It reads
 * in batches inside ONE repeatable-read, read-only transaction, so appends and retention running meanwhile are not
 * seen half-done (the anchor, the head and the entries all come from one snapshot). No Nest here: the
 * `npm run audit:verify` script calls it with a pool of its own.
 */
export async function verifyAuditChain(pool: pg.Pool, batchSize = VERIFY_BATCH): Promise<ChainReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: anchors } = await client.query<ChainLink>('SELECT seq::text AS seq, hash FROM audit_chain_anchor WHERE id = 1');
    const { rows: heads } = await client.query<ChainLink>('SELECT seq::text AS seq, hash FROM audit_chain_head WHERE id = 1');
    if (!anchors[0] || !heads[0]) throw new Error('the audit chain has no anchor or head row: its migration has not run');
    const [anchor, head] = [anchors[0], heads[0]];
    const walker = new ChainWalker(anchor, head);
    let after: string | null = null;
    let reading = true;
    while (reading) {
      // ORDER BY names the table's column: the text alias `seq` would sort 10 before 2.
      const { rows }: { rows: ChainEntry[] } = await client.query<ChainEntry>({
        name: 'arbiter_audit_chain_batch',
        text: `SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE $1::bigint IS NULL OR seq > $1::bigint ORDER BY audit_entries.seq LIMIT $2`,
        values: [after, batchSize],
      });
      for (const row of rows) {
        if (!walker.push(row)) {
          reading = false;
          break;
        }
      }
      if (rows.length < batchSize) reading = false;
      else after = rows[rows.length - 1].seq;
    }
    await client.query('COMMIT');
    const broken = walker.finish() ?? null;
    return { ok: broken === null, checked: walker.checked, anchor, head, broken };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
