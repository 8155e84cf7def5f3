import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { CancelFrame, CancelledFrame } from './protocol.js';
import { SessionHooks } from './session-hooks.service.js';

/** The session a cancel came in on, as the connection holds it. */
export interface CancellingSession {
  id: string;
  projectId: string;
  externalId: string;
  epoch: number;
  apiKeyId: string;
}

export type CancelOutcome = { kind: 'answer'; frame: CancelledFrame } | { kind: 'not_held' };

/**
 * An agent's `cancel` (protocol 1.1): withdraws the event's review if it is still pending. The withdrawal is ONE
 * conditional UPDATE … WHERE status = 'pending' (with its audit entry in the same statement), the same row lock and
 * re-check a reviewer's decision and the sweeper's expiry take, so exactly one of them changes a pending review: a
 * withdrawn review never gets a verdict, and a decided one is not withdrawn. The feed and webhooks hear of it after the
 * commit (SessionHooks → ReviewAnnouncer), like a decision.
 */
@Injectable()
export class EventCancellation {
  constructor(
    private readonly prisma: PrismaService,
    private readonly hooks: SessionHooks,
  ) {}

  async cancel(session: CancellingSession, frame: CancelFrame): Promise<CancelOutcome> {
    const reason = frame.reason ?? null;
    const { rows } = await this.prisma.pool.query<{ held: number; event_row_id: string | null; withdrawn_id: string | null }>({
      name: 'arbiter_withdraw_review',
      // The session row is key-share locked like an event's (see EventRecorderRepository): a takeover waits for this.
      text: `WITH held AS (
         SELECT s.id FROM agent_sessions s JOIN api_keys k ON k.id = s.api_key_id
          WHERE s.id = $1 AND s.epoch = $2 AND k.revoked_at IS NULL
          FOR KEY SHARE OF s
       ), ev AS (
         SELECT e.id FROM agent_events e JOIN held ON held.id = e.session_id WHERE e.event_id = $3
       ), x AS (
         UPDATE reviews r SET status = 'withdrawn', decided_at = statement_timestamp(), withdrawn_reason = $4
          WHERE r.event_row_id = (SELECT id FROM ev) AND r.status = 'pending'
         RETURNING r.id, r.project_id, r.session_id
       ), audited AS (
         INSERT INTO audit_entries (actor_type, actor_id, action, target_type, target_id, details)
         SELECT 'api_key', $5, 'review.withdraw', 'review', x.id::text,
                jsonb_build_object('reason', $4::text, 'project_id', x.project_id, 'session_id', x.session_id, 'event_id', $3::text)
           FROM x
       )
       SELECT (SELECT count(*) FROM held)::int AS held, (SELECT id::text FROM ev) AS event_row_id, (SELECT id::text FROM x) AS withdrawn_id`,
      values: [session.id, session.epoch, frame.event_id, reason, session.apiKeyId],
    });
    const row = rows[0];
    if (!row.held) return { kind: 'not_held' };
    const answer = (reviewId: string | null, result: CancelledFrame['result']): CancelOutcome => ({
      kind: 'answer',
      frame: { type: 'cancelled', event_id: frame.event_id, review_id: reviewId, result },
    });
    if (!row.event_row_id) return answer(null, 'unknown_event');
    if (row.withdrawn_id) {
      this.hooks.emitReviewWithdrawn({ sessionId: session.id, projectId: session.projectId, externalId: session.externalId, reviewId: row.withdrawn_id, eventId: frame.event_id });
      return answer(row.withdrawn_id, 'withdrawn');
    }
    // Not pending (any more): a new statement, so it sees what a decision or expiry that won the row lock committed.
    const { rows: states } = await this.prisma.pool.query<{ review_id: string | null; status: string | null; has_verdict: boolean }>({
      name: 'arbiter_cancelled_event_state',
      text: `SELECT r.id::text AS review_id, r.status::text AS status, EXISTS (SELECT 1 FROM verdicts v WHERE v.event_row_id = $1::uuid) AS has_verdict
               FROM (SELECT 1) one LEFT JOIN reviews r ON r.event_row_id = $1::uuid`,
      values: [row.event_row_id],
    });
    const state = states[0];
    if (state.status === 'withdrawn') return answer(state.review_id, 'withdrawn');
    if (state.has_verdict) return answer(state.review_id, 'already_decided');
    // An event row is inserted with its verdict or its review, and a review leaves `pending` only with a verdict or
    // withdrawn: unreachable unless that changes.
    throw new Error(`event ${frame.event_id}: neither withdrawn nor decided after a cancel`);
  }
}
