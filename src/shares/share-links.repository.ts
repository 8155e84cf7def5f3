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
  review_status: string | null;
  review_decided_at: Date | null;
}

/** What a consumed view hands on to the transcript read. */
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
   * Uses one view of the link, logs it, and reads what the view shows (the session, its project, and its first
   * `limit` events in arrival order with their verdicts and reviews, one row per event; a session without events gives
   * one row whose event columns are null): ONE statement. Undefined when the link is unknown, revoked, expired or out
   * of views.
   *
   * The view is the conditional UPDATE: the check and the increment cannot be separated by a concurrent
   * viewer, because concurrent callers queue on the row lock and each re-evaluates the WHERE clause against the
   * committed count, so at most `max_views` of them ever get a row back. The share_views insert rides in the same
   * statement, hence the same transaction. (The caller's rate limit is counted just before, by RateLimitService.)
   * One statement rather than a view and then a read, because on a popular link every round trip is paid per view.
   */
  async consumeView(view: { tokenHash: string; clientHash: string; userAgent: string | null }, limit: number): Promise<{ view: ConsumedView; rows: TranscriptRow[] } | undefined> {
    const { rows } = await this.prisma.pool.query<TranscriptRow & { share_id: string; share_expires_at: Date; max_views: number | null; view_count: number }>({
      name: 'arbiter_consume_share_view',
      text: `
        WITH consumed AS (
          UPDATE share_links SET view_count = view_count + 1
          WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
            AND (max_views IS NULL OR view_count < max_views)
          RETURNING id, session_id, expires_at, max_views, view_count
        ), logged AS (
          INSERT INTO share_views (share_id, client_hash, user_agent)
          SELECT id, $2, $3 FROM consumed
          RETURNING share_id
        )
        SELECT c.id::text AS share_id, c.expires_at AS share_expires_at, c.max_views, c.view_count,
               s.external_id, s.agent_id AS session_agent_id, s.source, s.created_at AS session_created_at,
               p.name AS project_name, p.redact_keys,
               e.seq::text AS seq, e.event_id, e.kind::text AS kind, e.tool, e.input, e.agent_id, e.created_at,
               e.decision, e.reason, e.verdict_source, e.verdict_at, e.review_status, e.review_decided_at
        FROM consumed c
        JOIN logged g ON g.share_id = c.id
        JOIN agent_sessions s ON s.id = c.session_id
        JOIN projects p ON p.id = s.project_id
        LEFT JOIN LATERAL (
          SELECT ev.seq, ev.event_id, ev.kind, ev.tool, ev.input, ev.agent_id, ev.created_at,
                 v.decision::text AS decision, v.reason, v.source::text AS verdict_source, v.created_at AS verdict_at,
                 r.status::text AS review_status, r.decided_at AS review_decided_at
          FROM agent_events ev
          LEFT JOIN verdicts v ON v.event_row_id = ev.id
          LEFT JOIN reviews r ON r.event_row_id = ev.id
          WHERE ev.session_id = s.id
          ORDER BY ev.seq
          LIMIT $4::int
        ) e ON true
        ORDER BY e.seq`,
      values: [view.tokenHash, view.clientHash, view.userAgent, limit],
    });
    if (rows.length === 0) return undefined;
    const first = rows[0];
    return { view: { id: first.share_id, expires_at: first.share_expires_at, max_views: first.max_views, view_count: first.view_count }, rows };
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
