import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { RuleSnapshot } from '../policies/policy-engine.js';
import type { EventFrame, PendingFrame, VerdictFrame } from './protocol.js';

export interface EventToRecord {
  sessionId: string;
  projectId: string;
  epoch: number;
  frame: EventFrame;
  inputSha256: string;
  ruleAction: 'allow' | 'block' | 'review';
  rule: RuleSnapshot | null;
}

export type RecordOutcome =
  | { kind: 'verdict'; frame: VerdictFrame; verdictId: string }
  | { kind: 'pending'; frame: PendingFrame; reviewId: string; created: boolean }
  /** The connection no longer holds the session (taken over), or its API key was revoked. */
  | { kind: 'not_held' };

const HELD = `
  held AS (
    SELECT s.id FROM agent_sessions s JOIN api_keys k ON k.id = s.api_key_id
     WHERE s.id = $1 AND s.epoch = $2 AND k.revoked_at IS NULL
     FOR SHARE OF s
  ),
  ev AS (
    INSERT INTO agent_events (id, session_id, event_id, kind, tool, input, agent_id, input_sha256, rule_action, rule_id, rule_snapshot)
    SELECT gen_random_uuid(), held.id, $3, $4::"EventKind", $5, $6::jsonb, $7, $8, $9::"RuleAction", $10::uuid, $11::jsonb FROM held
    ON CONFLICT (session_id, event_id) DO NOTHING
    RETURNING id
  )`;

/**
 * Records an event with its outcome in ONE statement: the session must still be held by this connection's epoch
 * (a FOR SHARE lock makes a concurrent takeover wait for our commit, so its replay sees this verdict), the event is
 * inserted once per event_id, and the verdict (outbox row) or the pending review is inserted with it.
 */
@Injectable()
export class EventRecorderRepository {
  constructor(private readonly prisma: PrismaService) {}

  async recordVerdict(e: EventToRecord, decision: 'allow' | 'block', reason: string): Promise<RecordOutcome> {
    const { rows } = await this.prisma.pool.query<{ held: number; verdict_id: string | null }>({
      name: 'arbiter_record_verdict',
      text: `WITH ${HELD},
       v AS (
         INSERT INTO verdicts (id, session_id, event_row_id, event_id, decision, reason, source, input_sha256)
         SELECT gen_random_uuid(), $1, ev.id, $3, $12::"Decision", $13, 'policy', $8 FROM ev
         RETURNING id
       )
       SELECT (SELECT count(*) FROM held)::int AS held, (SELECT id FROM v) AS verdict_id`,
      values: [...this.eventParams(e), decision, reason],
    });
    if (!rows[0].held) return { kind: 'not_held' };
    if (!rows[0].verdict_id) return this.existing(e.sessionId, e.frame.event_id);
    return {
      kind: 'verdict',
      verdictId: rows[0].verdict_id,
      frame: { type: 'verdict', event_id: e.frame.event_id, decision, reason, source: 'policy', review_id: null, input_sha256: e.inputSha256 },
    };
  }

  async recordReview(e: EventToRecord, timeoutDecision: 'allow' | 'block', timeoutSeconds: number): Promise<RecordOutcome> {
    const { rows } = await this.prisma.pool.query<{ held: number; review_id: string | null }>({
      name: 'arbiter_record_review',
      text: `WITH ${HELD},
       r AS (
         INSERT INTO reviews (id, project_id, session_id, event_row_id, status, input_sha256, rule_snapshot, timeout_decision, expires_at)
         SELECT gen_random_uuid(), $12, $1, ev.id, 'pending', $8, $11::jsonb, $13::"Decision", now() + make_interval(secs => $14) FROM ev
         RETURNING id
       )
       SELECT (SELECT count(*) FROM held)::int AS held, (SELECT id FROM r) AS review_id`,
      values: [...this.eventParams(e), e.projectId, timeoutDecision, timeoutSeconds],
    });
    if (!rows[0].held) return { kind: 'not_held' };
    if (!rows[0].review_id) return this.existing(e.sessionId, e.frame.event_id);
    return { kind: 'pending', reviewId: rows[0].review_id, created: true, frame: { type: 'pending', event_id: e.frame.event_id, review_id: rows[0].review_id } };
  }

  /** A repeated event_id: answer with what the first one got, creating nothing. */
  private async existing(sessionId: string, eventId: string): Promise<RecordOutcome> {
    const { rows } = await this.prisma.pool.query<{
      verdict_id: string | null;
      decision: 'allow' | 'block' | null;
      reason: string | null;
      source: 'policy' | 'review' | 'timeout' | null;
      verdict_review_id: string | null;
      input_sha256: string;
      review_id: string | null;
    }>({
      name: 'arbiter_existing_event',
      text: `SELECT v.id AS verdict_id, v.decision::text AS decision, v.reason, v.source::text AS source, v.review_id AS verdict_review_id,
              e.input_sha256, r.id AS review_id
         FROM agent_events e
         LEFT JOIN verdicts v ON v.event_row_id = e.id
         LEFT JOIN reviews r ON r.event_row_id = e.id
        WHERE e.session_id = $1 AND e.event_id = $2`,
      values: [sessionId, eventId],
    });
    const row = rows[0];
    if (row?.verdict_id && row.decision && row.source) {
      return {
        kind: 'verdict',
        verdictId: row.verdict_id,
        frame: { type: 'verdict', event_id: eventId, decision: row.decision, reason: row.reason ?? '', source: row.source, review_id: row.verdict_review_id, input_sha256: row.input_sha256 },
      };
    }
    if (row?.review_id) return { kind: 'pending', reviewId: row.review_id, created: false, frame: { type: 'pending', event_id: eventId, review_id: row.review_id } };
    // The event row exists only with a verdict or a review, both inserted in its own statement.
    throw new Error(`event ${eventId} of session ${sessionId} has neither verdict nor review`);
  }

  private eventParams(e: EventToRecord): unknown[] {
    const f = e.frame;
    return [
      e.sessionId,
      e.epoch,
      f.event_id,
      f.kind,
      f.tool ?? null,
      f.input === undefined ? null : JSON.stringify(f.input),
      f.agent_id ?? null,
      e.inputSha256,
      e.ruleAction,
      e.rule?.id ?? null,
      e.rule ? JSON.stringify(e.rule) : null,
    ];
  }
}
