import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { Position } from '../infra/http/pagination.js';

/** A share_links row as the API needs it; `expired` is judged by the database clock, like the consume statement. */
export interface ShareRow {
  id: string;
  session_id: string;
  created_by: string | null;
  created_at: Date;
  expires_at: Date;
  max_views: number | null;
  view_count: number;
  revoked_at: Date | null;
  revoked_by: string | null;
  expired: boolean;
}

export interface ShareViewRow {
  id: bigint;
  at: Date;
  client_hash: string;
  user_agent: string | null;
}

/** One event of a transcript, with its session and project repeated on every row. */
export interface TranscriptRow {
  external_id: string;
  session_agent_id: string | null;
  source: string | null;
  session_created_at: Date;
  project_name: string;
  redact_keys: string[];
  /** Null on the single row of a session without events. */
  seq: string | null;
  event_id: string;
  kind: string;
  tool: string | null;
  input: unknown;
  agent_id: string | null;
  created_at: Date;
  decision: string | null;
  reason: string | null;
  verdict_source: string | null;
  verdict_at: Date | null;
  /** The agent's ack, if any: received (acted on) or discarded. */
  ack_status: 'received' | 'discarded' | null;
  verdict_edited: boolean | null;
  review_status: string | null;
  review_decided_at: Date | null;
}

/** What one consumeViews statement did: the first `granted` viewers got a view each, counted from `countBefore`. */
export interface ConsumedViews {
  shareId: string;
  expiresAt: Date;
  maxViews: number | null;
  countBefore: number;
  granted: number;
  rows: TranscriptRow[];
}

/** One viewer's view: the link's state right after it. */
export interface ConsumedView {
  id: string;
  expires_at: Date;
  max_views: number | null;
  view_count: number;
}

const SHARE_COLUMNS_TEXT = `id, session_id, created_by, created_at, expires_at, max_views, view_count, revoked_at, revoked_by,
  (expires_at <= now()) AS expired`;
const SHARE_COLUMNS = Prisma.raw(SHARE_COLUMNS_TEXT);

type Sql = Pick<Prisma.TransactionClient, '$queryRaw'>;

/** Every statement on share_links and share_views, and the transcript reads a consumed view needs. */
@Injectable()
export class ShareLinksRepository {
  constructor(private readonly prisma: PrismaService) {}

  async sessionExists(sessionId: string, tx: Sql = this.prisma): Promise<boolean> {
    const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM agent_sessions WHERE id = ${sessionId}::uuid`;
    return rows.length > 0;
  }

  /** Expiry is computed from the database clock, the same clock every later check uses. */
  async insert(
    tx: Sql,
    link: { sessionId: string; createdById: string; tokenHash: string; expiresInSeconds: number; maxViews: number | null },
  ): Promise<ShareRow> {
    const rows = await tx.$queryRaw<ShareRow[]>`
      INSERT INTO share_links (id, session_id, created_by, token_hash, expires_at, max_views)
      VALUES (${randomUUID()}::uuid, ${link.sessionId}::uuid, ${link.createdById}::uuid, ${link.tokenHash},
              now() + make_interval(secs => ${link.expiresInSeconds}), ${link.maxViews}::int)
      RETURNING ${SHARE_COLUMNS}`;
    return rows[0];
  }

  async findById(id: string, tx: Sql = this.prisma): Promise<ShareRow | undefined> {
    const rows = await tx.$queryRaw<ShareRow[]>`SELECT ${SHARE_COLUMNS} FROM share_links WHERE id = ${id}::uuid`;
    return rows[0];
  }

  /** The public routes' read (every page load and state check): a prepared statement on the pool. */
  async findByTokenHash(tokenHash: string): Promise<ShareRow | undefined> {
    const { rows } = await this.prisma.pool.query<ShareRow>({
      name: 'arbiter_share_by_token',
      text: `SELECT ${SHARE_COLUMNS_TEXT} FROM share_links WHERE token_hash = $1`,
      values: [tokenHash],
    });
    return rows[0];
  }

  /** Retention removed every event of the link's session (src/retention): the link has nothing left to show. */
  async transcriptDeleted(tokenHash: string): Promise<boolean> {
    const { rows } = await this.prisma.pool.query({
      name: 'arbiter_share_transcript_deleted',
      text: `SELECT 1 FROM share_links l JOIN agent_sessions s ON s.id = l.session_id
              WHERE l.token_hash = $1 AND s.transcript_removed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agent_events e WHERE e.session_id = s.id)`,
      values: [tokenHash],
    });
    return rows.length > 0;
  }

  /** Newest first, `limit + 1` rows (see pageOf). */
  async listBySession(sessionId: string, after: Position | undefined, limit: number): Promise<ShareRow[]> {
    const page = after ? Prisma.sql`AND (created_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)` : Prisma.empty;
    return this.prisma.$queryRaw<ShareRow[]>`
      SELECT ${SHARE_COLUMNS} FROM share_links WHERE session_id = ${sessionId}::uuid ${page}
      ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`;
  }

  /** Marks the link revoked unless it already is; returns the row only when this call revoked it. */
  async revoke(tx: Sql, id: string, revokedById: string): Promise<ShareRow | undefined> {
    const rows = await tx.$queryRaw<ShareRow[]>`
      UPDATE share_links SET revoked_at = now(), revoked_by = ${revokedById}::uuid
      WHERE id = ${id}::uuid AND revoked_at IS NULL
      RETURNING ${SHARE_COLUMNS}`;
    return rows[0];
  }

  /**
   * Uses up to `viewers.length` views of the link, one per viewer in order, logs each, and reads what the views show
   * (the session, its project, and its first `limit` events in arrival order with their verdicts and reviews, one row
   * per event; a session without events gives one row whose event columns are null): ONE statement. Returns how many
   * viewers got a view (the first `granted`), and the link's count before them; nothing when none did (the link is
   * unknown, revoked, expired or out of views).
   *
   * The views are the conditional UPDATE: `WHERE view_count < max_views`, setting the count to at most
   * `max_views`. Check and increment cannot be separated by a concurrent viewer: concurrent statements queue on the
   * row lock, and each sees the committed count (the locking read in `current` returns the newest version once it
   * holds the lock; the UPDATE's own re-check sees the same one), so no more than `max_views` views are ever granted.
   * The share_views inserts ride in the same statement, hence the same transaction. (Each caller's rate limit is
   * counted before, by RateLimitService.) Many viewers in one statement because on a popular link the row lock and
   * the commit are paid per statement, not per view.
   */
  async consumeViews(tokenHash: string, viewers: { clientHash: string; userAgent: string | null }[], limit: number): Promise<ConsumedViews | undefined> {
    const { rows } = await this.prisma.pool.query<TranscriptRow & { share_id: string; share_expires_at: Date; max_views: number | null; count_before: number; granted: number }>({
      name: 'arbiter_consume_share_views',
      text: `
        WITH current AS (
          SELECT id, view_count FROM share_links WHERE token_hash = $1 FOR UPDATE
        ), consumed AS (
          UPDATE share_links s
             SET view_count = CASE WHEN s.max_views IS NULL THEN s.view_count + $2::int ELSE LEAST(s.max_views, s.view_count + $2::int) END
            FROM current
           WHERE s.id = current.id AND s.revoked_at IS NULL AND s.expires_at > now()
             AND (s.max_views IS NULL OR s.view_count < s.max_views)
          RETURNING s.id, s.session_id, s.expires_at, s.max_views, current.view_count AS count_before, s.view_count - current.view_count AS granted
        ), logged AS (
          INSERT INTO share_views (share_id, client_hash, user_agent)
          SELECT c.id, v.client_hash, v.user_agent
            FROM consumed c, unnest($3::text[], $4::text[]) WITH ORDINALITY AS v(client_hash, user_agent, n)
           WHERE v.n <= c.granted
           ORDER BY v.n
          RETURNING share_id
        )
        SELECT c.id::text AS share_id, c.expires_at AS share_expires_at, c.max_views, c.count_before, c.granted,
               s.external_id, s.agent_id AS session_agent_id, s.source, s.created_at AS session_created_at,
               p.name AS project_name, p.redact_keys,
               e.seq::text AS seq, e.event_id, e.kind::text AS kind, e.tool, e.input, e.agent_id, e.created_at,
               e.decision, e.reason, e.verdict_source, e.verdict_at, e.ack_status, e.verdict_edited, e.review_status, e.review_decided_at
        FROM consumed c
        JOIN agent_sessions s ON s.id = c.session_id
        JOIN projects p ON p.id = s.project_id
        LEFT JOIN LATERAL (
          SELECT ev.seq, ev.event_id, ev.kind, ev.tool, ev.input, ev.agent_id, ev.created_at,
                 v.decision::text AS decision, v.reason, v.source::text AS verdict_source, v.created_at AS verdict_at,
                 CASE WHEN v.acked_at IS NOT NULL THEN COALESCE(v.ack_status::text, 'received') END AS ack_status,
                 v.original_input_sha256 IS NOT NULL AS verdict_edited,
                 r.status::text AS review_status, r.decided_at AS review_decided_at
          FROM agent_events ev
          LEFT JOIN verdicts v ON v.event_row_id = ev.id
          LEFT JOIN reviews r ON r.event_row_id = ev.id
          WHERE ev.session_id = s.id
          ORDER BY ev.seq
          LIMIT $5::int
        ) e ON true
        ORDER BY e.seq`,
      values: [tokenHash, viewers.length, viewers.map((v) => v.clientHash), viewers.map((v) => v.userAgent), limit],
    });
    if (rows.length === 0) return undefined;
    const first = rows[0];
    return { shareId: first.share_id, expiresAt: first.share_expires_at, maxViews: first.max_views, countBefore: first.count_before, granted: first.granted, rows };
  }

  /** Newest first, `limit + 1` rows. */
  async listViews(shareId: string, after: Position | undefined, limit: number): Promise<ShareViewRow[]> {
    const page = after ? Prisma.sql`AND (at, id) < (${after.at}::timestamptz, ${after.id}::bigint)` : Prisma.empty;
    return this.prisma.$queryRaw<ShareViewRow[]>`
      SELECT id, at, client_hash, user_agent FROM share_views WHERE share_id = ${shareId}::uuid ${page}
      ORDER BY at DESC, id DESC LIMIT ${limit + 1}`;
  }

  /**
   * Deletes links that stopped working more than `retentionDays` ago: revoked, expired, or exhausted (their last view
   * is when they ran out). One statement; `SKIP LOCKED` lets several instances run it at once without waiting on or
   * deadlocking with each other (each takes the rows the others have not), and a row being viewed or revoked right
   * now is simply left for the next run. Their views go with them (ON DELETE CASCADE).
   */
  async deleteFinishedBefore(retentionDays: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM share_links WHERE id IN (
        SELECT l.id FROM share_links l
        WHERE l.revoked_at < now() - make_interval(days => ${retentionDays}::int)
           OR l.expires_at < now() - make_interval(days => ${retentionDays}::int)
           OR (l.max_views IS NOT NULL AND l.view_count >= l.max_views
               AND COALESCE((SELECT max(v.at) FROM share_views v WHERE v.share_id = l.id), l.created_at)
                   < now() - make_interval(days => ${retentionDays}::int))
        FOR UPDATE SKIP LOCKED)`;
  }

}
