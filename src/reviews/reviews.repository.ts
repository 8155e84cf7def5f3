import { Injectable } from '@nestjs/common';
import { type AcceptedSignIn, type UncheckedSignIn, signInParameters, signedInCte } from '../auth/statement-sign-in.js';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { SqlTx } from '../infra/database/sql-transaction.js';
import type { Position } from '../infra/http/pagination.js';
import { sessionOutboxChannelSql } from '../sessions/session-events.js';
import { APPEND_LOCK } from '../stream/stream-events.repository.js';

export type ReviewStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';

/** A review with what every view of it shows: its event, its session's label and, once there is one, its verdict. */
export interface ReviewRow {
  id: string;
  project_id: string;
  session_id: string;
  session_external_id: string;
  event_row_id: string;
  event_id: string;
  kind: 'tool' | 'llm';
  tool: string | null;
  status: ReviewStatus;
  timeout_decision: 'allow' | 'block';
  rule_reason: string | null;
  input_sha256: string;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  note: string | null;
  verdict_decision: 'allow' | 'block' | null;
  verdict_source: 'policy' | 'review' | 'timeout' | null;
  verdict_reason: string | null;
  /** Why the agent withdrew it (its cancel's reason), for a withdrawn review. */
  withdrawn_reason: string | null;
  /** An edited approval: the input the agent was told to run, and its hash (verdict_edited says whether there is one). */
  verdict_edited: boolean;
  edited_input: unknown;
  edited_input_sha256: string | null;
  /** The project's setting now: whether a reviewer may approve an edited input. */
  allow_edits: boolean;
}

export interface ReviewDetailRow extends ReviewRow {
  input: unknown;
  agent_id: string | null;
  event_created_at: Date;
  event_seq: bigint;
  rule_snapshot: unknown;
  agent_connected: boolean;
}

export interface RecentEventRow {
  event_id: string;
  kind: 'tool' | 'llm';
  tool: string | null;
  input: unknown;
  created_at: Date;
  rule_action: string;
  decision: 'allow' | 'block' | null;
  source: string | null;
  review_id: string | null;
  review_status: ReviewStatus | null;
}

/** What a state change returns: enough to write the verdict and announce it. */
export interface ChangedReview {
  id: string;
  project_id: string;
  session_id: string;
  event_row_id: string;
  event_id: string;
  input_sha256: string;
  timeout_decision: 'allow' | 'block';
  created_at: Date;
  expires_at: Date;
}

/** An approval with an edited input: what the agent is told to run instead, and its hash over kind, tool and input. */
export interface EditedInput {
  input: unknown;
  inputSha256: string;
}

export interface DecisionInput {
  reviewId: string;
  /** Only with approve, only where the project allows edits (checked by the caller). */
  edited?: EditedInput;
  status: 'approved' | 'denied';
  /** What the person chose, as the API names it (for the audit entry). */
  action: 'approve' | 'deny';
  decision: 'allow' | 'block';
  reason: string;
  note: string | null;
  /** The reviewer's sign-in, checked by the decision's own statement. */
  signIn: UncheckedSignIn;
  requestId?: string;
}

/** review.created for one review: its feed and webhook payload, and the channels that wake their readers. */
export interface CreatedAnnouncement {
  reviewId: string;
  projectId: string;
  payload: Record<string, unknown>;
  webhookChannel: string;
  feedChannel: string;
}

export interface DecidedReview extends ReviewRow, AcceptedSignIn {
  agent_connected: boolean;
}

/** The state a review is in right now, for explaining why a change was refused. */
export interface ReviewState {
  id: string;
  status: ReviewStatus;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  window_closed: boolean;
  created_at: Date;
  max_window_seconds: number;
}

export interface ReviewFilter {
  status?: ReviewStatus;
  projectId?: string;
  sessionId?: string;
}

export type Sql = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

const REVIEW_SELECT_TEXT = `
  SELECT r.id, r.project_id::text AS project_id, r.session_id::text AS session_id, s.external_id AS session_external_id,
         r.event_row_id::text AS event_row_id, e.event_id, e.kind::text AS kind, e.tool, r.status::text AS status,
         r.timeout_decision::text AS timeout_decision, r.rule_snapshot->>'reason' AS rule_reason, r.input_sha256,
         r.created_at, r.expires_at, r.decided_by::text AS decided_by, r.decided_at, r.note,
         v.decision::text AS verdict_decision, v.source::text AS verdict_source, v.reason AS verdict_reason,
         r.withdrawn_reason, v.original_input_sha256 IS NOT NULL AS verdict_edited, v.edited_input,
         CASE WHEN v.original_input_sha256 IS NOT NULL THEN v.input_sha256 END AS edited_input_sha256, p.allow_edits`;

const REVIEW_FROM_TEXT = `
  FROM reviews r
  JOIN agent_events e ON e.id = r.event_row_id
  JOIN agent_sessions s ON s.id = r.session_id
  JOIN projects p ON p.id = r.project_id
  LEFT JOIN verdicts v ON v.event_row_id = r.event_row_id`;

const REVIEW_SELECT = Prisma.raw(REVIEW_SELECT_TEXT);
const REVIEW_FROM = Prisma.raw(REVIEW_FROM_TEXT);

/** The columns of a ChangedReview, over a state change's RETURNING row `x` joined to its event `e`. */
export const CHANGED = Prisma.sql`x.id::text AS id, x.project_id::text AS project_id, x.session_id::text AS session_id,
  x.event_row_id::text AS event_row_id, e.event_id, x.input_sha256, x.timeout_decision::text AS timeout_decision, x.created_at, x.expires_at`;

/**
 * The statements on reviews that people and agents drive (the sweeper's are in ReviewSweepRepository). Each state
 * change is ONE conditional UPDATE … RETURNING: the row lock and the re-check of `status = 'pending'` after it make
 * concurrent deciders (people on any instance, the sweeper on every instance) take turns, and only the first finds
 * the review still pending.
 */
@Injectable()
export class ReviewsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Newest first, `limit + 1` rows (see pageOf). */
  async list(filter: ReviewFilter, after: Position | undefined, limit: number): Promise<ReviewRow[]> {
    const where: Prisma.Sql[] = [Prisma.sql`TRUE`];
    if (filter.status) where.push(Prisma.sql`r.status = ${filter.status}::"ReviewStatus"`);
    if (filter.projectId) where.push(Prisma.sql`r.project_id = ${filter.projectId}::uuid`);
    if (filter.sessionId) where.push(Prisma.sql`r.session_id = ${filter.sessionId}::uuid`);
    if (after) where.push(Prisma.sql`(r.created_at, r.id) < (${after.at}::timestamptz, ${after.id}::uuid)`);
    return this.prisma.$queryRaw<ReviewRow[]>`
      ${REVIEW_SELECT} ${REVIEW_FROM}
      WHERE ${Prisma.join(where, ' AND ')}
      ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit + 1}::int`;
  }

  async summaries(tx: SqlTx, ids: string[]): Promise<ReviewRow[]> {
    if (ids.length === 0) return [];
    return tx.query<ReviewRow>(`${REVIEW_SELECT_TEXT} ${REVIEW_FROM_TEXT} WHERE r.id = ANY($1::uuid[]) ORDER BY r.created_at, r.id`, [ids], 'arbiter_review_summaries');
  }

  async detail(id: string): Promise<ReviewDetailRow | undefined> {
    const rows = await this.prisma.$queryRaw<ReviewDetailRow[]>`
      ${REVIEW_SELECT}, e.input, e.agent_id, e.created_at AS event_created_at, e.seq AS event_seq, r.rule_snapshot,
             COALESCE(s.lease_expires_at > now(), false) AS agent_connected
      ${REVIEW_FROM}
      WHERE r.id = ${id}::uuid`;
    return rows[0];
  }

  /** The session's events before `beforeSeq`, newest first. */
  async recentEvents(sessionId: string, beforeSeq: bigint, limit: number): Promise<RecentEventRow[]> {
    return this.prisma.$queryRaw<RecentEventRow[]>`
      SELECT e.event_id, e.kind::text AS kind, e.tool, e.input, e.created_at, e.rule_action::text AS rule_action,
             v.decision::text AS decision, v.source::text AS source, r.id::text AS review_id, r.status::text AS review_status
        FROM agent_events e
        LEFT JOIN verdicts v ON v.event_row_id = e.id
        LEFT JOIN reviews r ON r.event_row_id = e.id
       WHERE e.session_id = ${sessionId}::uuid AND e.seq < ${beforeSeq}::bigint
       ORDER BY e.seq DESC LIMIT ${limit}::int`;
  }

  /** What an edited approval is checked and hashed against: the event's kind and tool, and the project's setting. */
  async editTarget(id: string): Promise<{ kind: 'tool' | 'llm'; tool: string | null; allow_edits: boolean } | undefined> {
    const rows = await this.prisma.$queryRaw<{ kind: 'tool' | 'llm'; tool: string | null; allow_edits: boolean }[]>`
      SELECT e.kind::text AS kind, e.tool, p.allow_edits
        FROM reviews r JOIN agent_events e ON e.id = r.event_row_id JOIN projects p ON p.id = r.project_id
       WHERE r.id = ${id}::uuid`;
    return rows[0];
  }

  async state(id: string, tx: Sql = this.prisma): Promise<ReviewState | undefined> {
    const rows = await tx.$queryRaw<ReviewState[]>`
      SELECT r.id::text AS id, r.status::text AS status, r.expires_at, r.decided_by::text AS decided_by, r.decided_at,
             r.expires_at <= statement_timestamp() AS window_closed, r.created_at, p.review_max_timeout_seconds AS max_window_seconds
        FROM reviews r JOIN projects p ON p.id = r.project_id
       WHERE r.id = ${id}::uuid`;
    return rows[0];
  }

  /**
   * A person's decision, whole, in ONE statement: the conditional UPDATE (first decision wins; see the class
   * comment), the verdict in the outbox, the audit entry and the NOTIFY that sends the verdict on commit to the
   * instance holding the session (carrying the verdict itself when it fits the payload limit, so that instance need
   * not read it back). The reviewer's sign-in is checked in the same statement (`signed_in`, see UncheckedSignIn).
   * Returns the decided review as every view shows it, or undefined if it was no longer pending or the sign-in did
   * not pass. One statement because a waiting agent's latency is this path's round trips.
   */
  async decideWithVerdict(tx: SqlTx, d: DecisionInput): Promise<DecidedReview | undefined> {
    const rows = await tx.query<DecidedReview>(
      `WITH ${signedInCte(['$8', '$9', '$10'])}, x AS (
         UPDATE reviews SET status = $2::"ReviewStatus", decided_by = (SELECT user_id FROM signed_in), decided_at = statement_timestamp(), note = $3
          WHERE id = $1::uuid AND status = 'pending' AND expires_at > statement_timestamp() AND EXISTS (SELECT 1 FROM signed_in)
         RETURNING *
       ), v AS (
         -- An edited approval ($12 the edited input's hash) carries its input and the hash of what the agent sent.
         INSERT INTO verdicts (id, session_id, event_row_id, event_id, decision, reason, source, review_id, input_sha256, edited_input, original_input_sha256)
         SELECT gen_random_uuid(), x.session_id, x.event_row_id, e.event_id, $4::"Decision", $5, 'review', x.id, COALESCE($12::text, x.input_sha256),
                CASE WHEN $12::text IS NOT NULL THEN $11::jsonb END, CASE WHEN $12::text IS NOT NULL THEN x.input_sha256 END
           FROM x JOIN agent_events e ON e.id = x.event_row_id
         RETURNING event_row_id, event_id, decision, source, reason, input_sha256, edited_input, original_input_sha256
       ), holder AS MATERIALIZED (
         -- Key-share locked: a takeover (FOR UPDATE) commits first and we wake the new holder, or waits for us and
         -- its post-claim flush finds this verdict (see sessionOutboxChannelOf).
         SELECT s.id, s.external_id, s.lease_expires_at, s.instance_id FROM agent_sessions s
          WHERE s.id = (SELECT session_id FROM x)
            FOR KEY SHARE
       ), audited AS (
         INSERT INTO audit_entries (actor_type, actor_id, action, target_type, target_id, details, request_id)
         SELECT 'user', x.decided_by::text, 'review.decide', 'review', x.id::text,
                jsonb_build_object('decision', $6::text, 'note', $3::text, 'project_id', x.project_id, 'session_id', x.session_id, 'event_id', v.event_id)
                  || CASE WHEN v.original_input_sha256 IS NOT NULL
                       THEN jsonb_build_object('edited', true, 'original_input_sha256', v.original_input_sha256, 'input_sha256', v.input_sha256)
                       ELSE '{}'::jsonb END,
                $7
           FROM x JOIN v ON v.event_row_id = x.event_row_id
       )
       SELECT x.id::text AS id, x.project_id::text AS project_id, x.session_id::text AS session_id, s.external_id AS session_external_id,
              x.event_row_id::text AS event_row_id, e.event_id, e.kind::text AS kind, e.tool, x.status::text AS status,
              x.timeout_decision::text AS timeout_decision, x.rule_snapshot->>'reason' AS rule_reason, x.input_sha256,
              x.created_at, x.expires_at, x.decided_by::text AS decided_by, x.decided_at, x.note,
              v.decision::text AS verdict_decision, v.source::text AS verdict_source, v.reason AS verdict_reason,
              x.withdrawn_reason, v.original_input_sha256 IS NOT NULL AS verdict_edited, v.edited_input,
              CASE WHEN v.original_input_sha256 IS NOT NULL THEN v.input_sha256 END AS edited_input_sha256,
              (SELECT p.allow_edits FROM projects p WHERE p.id = x.project_id) AS allow_edits,
              COALESCE(s.lease_expires_at > now(), false) AS agent_connected,
              si.session_id::text AS "signInSessionId", si.last_seen_at AS "signInLastSeenAt",
              CASE WHEN s.instance_id IS NOT NULL THEN pg_notify(${sessionOutboxChannelSql('s.instance_id')},
                CASE WHEN octet_length(n.with_verdict) < 7000 THEN n.with_verdict ELSE json_build_object('session_id', x.session_id)::text END) END IS NULL AS notified
         FROM x
         JOIN v ON v.event_row_id = x.event_row_id
         JOIN agent_events e ON e.id = x.event_row_id
         JOIN holder s ON s.id = x.session_id
         CROSS JOIN signed_in si
         CROSS JOIN LATERAL (
           SELECT jsonb_build_object('session_id', x.session_id, 'verdict', jsonb_build_object(
                    'type', 'verdict', 'event_id', v.event_id, 'decision', v.decision, 'reason', v.reason, 'source', v.source,
                    'review_id', x.id, 'input_sha256', v.input_sha256)
                    || CASE WHEN v.original_input_sha256 IS NOT NULL
                         THEN jsonb_build_object('edited', true, 'input', v.edited_input, 'original_input_sha256', v.original_input_sha256)
                         ELSE '{}'::jsonb END)::text AS with_verdict
         ) n`,
      [
        d.reviewId,
        d.status,
        d.note,
        d.decision,
        d.reason,
        d.action,
        d.requestId ?? null,
        ...signInParameters(d.signIn),
        d.edited ? JSON.stringify(d.edited.input) : null,
        d.edited?.inputSha256 ?? null,
      ],
      'arbiter_decide_review',
    );
    return rows[0];
  }

  /**
   * review.created, announced once: records the announcement, queues a delivery to each of the project's webhooks
   * subscribed to it and appends the feed event, in ONE autocommitted statement (a transaction of seven round trips
   * before, which ran on the instance while the reviewer's decision arrived). Nothing happens when the review was
   * announced already (the sweeper raced us). The feed's lock is taken only after the claim, and held to the commit as
   * `StreamEventsRepository.append` requires; if it cannot be had, nothing commits and the sweeper announces later.
   */
  async announceCreated(tx: SqlTx, a: CreatedAnnouncement): Promise<boolean> {
    const [row] = await tx.query<{ claimed: boolean }>(
      `WITH claimed AS (
         INSERT INTO review_announcements (review_id) VALUES ($1::uuid)
         ON CONFLICT (review_id) DO NOTHING
         RETURNING review_id
       ), queued AS (
         INSERT INTO webhook_deliveries (id, webhook_id, event_key, event_type, payload)
         SELECT gen_random_uuid(), w.id, 'review.created:' || c.review_id::text, 'review.created', $3::jsonb
           FROM claimed c CROSS JOIN webhooks w
          WHERE w.project_id = $2::uuid AND w.disabled_at IS NULL AND 'review.created' = ANY(w.events)
         ON CONFLICT (webhook_id, event_key) DO NOTHING
         RETURNING 1
       ), locked AS MATERIALIZED (
         SELECT ${APPEND_LOCK} FROM claimed
       ), appended AS (
         INSERT INTO stream_events (project_id, type, payload)
         SELECT $2::uuid, 'review.created', $3::jsonb FROM locked
         RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM claimed) AS claimed,
              (SELECT pg_notify($4, '{}') FROM queued LIMIT 1) IS NULL AS webhooks_woken,
              (SELECT pg_notify($5, '{}') FROM appended LIMIT 1) IS NULL AS feed_woken`,
      [a.reviewId, a.projectId, JSON.stringify(a.payload), a.webhookChannel, a.feedChannel],
      'arbiter_announce_review_created',
    );
    return row.claimed;
  }

  /**
   * Moves a pending review's deadline `seconds` later, unless that would take its whole window past the project's
   * maximum. The 80 % warning is re-armed for the new deadline.
   */
  async extend(tx: Sql, id: string, seconds: number): Promise<ChangedReview | undefined> {
    const rows = await tx.$queryRaw<ChangedReview[]>`
      WITH x AS (
        UPDATE reviews r SET expires_at = r.expires_at + make_interval(secs => ${seconds}::int), expiring_sent_at = NULL
          FROM projects p
         WHERE r.id = ${id}::uuid AND p.id = r.project_id AND r.status = 'pending' AND r.expires_at > statement_timestamp()
           AND r.expires_at + make_interval(secs => ${seconds}::int) <= r.created_at + make_interval(secs => p.review_max_timeout_seconds)
        RETURNING r.*
      )
      SELECT ${CHANGED} FROM x JOIN agent_events e ON e.id = x.event_row_id`;
    return rows[0];
  }
}
