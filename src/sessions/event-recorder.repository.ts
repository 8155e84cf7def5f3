import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import { replannedStatement } from '../infra/database/replanned-statement.js';
import { MicroBatcher } from '../infra/scheduling/micro-batcher.js';
import type { RuleSnapshot } from '../policies/policy-engine.js';
import type { CancelledFrame, EventFrame, PendingFrame, VerdictFrame } from './protocol.js';
import type { NewReview } from './session-hooks.service.js';
import { verdictFrameOf } from './verdict-outbox.service.js';

export interface EventToRecord {
  sessionId: string;
  projectId: string;
  epoch: number;
  frame: EventFrame;
  inputSha256: string;
  ruleAction: 'allow' | 'block' | 'review';
  rule: RuleSnapshot | null;
}

/** Events recorded together at most (one per session: a connection sends its next event after its verdict). */
const MAX_BATCH = 128;
/** Batched statements under way at once; more events wait for the next batch. */
const MAX_BATCHES_IN_FLIGHT = 2;

type VerdictRequest = { e: EventToRecord; decision: 'allow' | 'block'; reason: string };
type Settled = { ok: RecordOutcome } | { error: unknown };

export type RecordOutcome =
  | { kind: 'verdict'; frame: VerdictFrame; verdictId: string }
  /** `created`: the review this event opened (absent when the event_id was seen before). */
  | { kind: 'pending'; frame: PendingFrame; reviewId: string; created?: NewReview }
  /** A repeated event_id whose review the agent withdrew: no verdict will come. */
  | { kind: 'withdrawn'; frame: CancelledFrame }
  /** The connection no longer holds the session (taken over), or its API key was revoked. */
  | { kind: 'not_held' };

const HELD = `
  held AS (
    SELECT s.id FROM agent_sessions s JOIN api_keys k ON k.id = s.api_key_id
     WHERE s.id = $1 AND s.epoch = $2 AND k.revoked_at IS NULL
     FOR KEY SHARE OF s
  ),
  ev AS (
    INSERT INTO agent_events (id, session_id, event_id, kind, tool, input, agent_id, input_sha256, rule_action, rule_id, rule_snapshot)
    SELECT gen_random_uuid(), held.id, $3, $4::"EventKind", $5, $6::jsonb, $7, $8, $9::"RuleAction", $10::uuid, $11::jsonb FROM held
    ON CONFLICT (session_id, event_id) DO NOTHING
    RETURNING id
  )`;

/**
 * Records an event with its outcome in ONE statement: the session must still be held by this connection's epoch
 * (a FOR KEY SHARE lock makes a concurrent takeover, which locks the row FOR UPDATE, wait for our commit, so its
 * replay sees this verdict; lease renewals, which conflict with neither, never wait on events nor events on them), the event is
 * inserted once per event_id, and the verdict (outbox row) or the pending review is inserted with it.
 */
@Injectable()
export class EventRecorderRepository {
  /**
   * Policy verdicts are recorded in batches: under load, one statement and one commit carry the events that arrived
   * while the previous statement ran, instead of a statement, a commit and a server wake-up each. A lone event goes
   * out at once, alone. See MicroBatcher.
   */
  private readonly verdicts = new MicroBatcher<VerdictRequest, Settled>((batch) => this.recordVerdictBatch(batch), MAX_BATCH, MAX_BATCHES_IN_FLIGHT);

  constructor(private readonly prisma: PrismaService) {}

  async recordVerdict(e: EventToRecord, decision: 'allow' | 'block', reason: string): Promise<RecordOutcome> {
    const settled = await this.verdicts.submit({ e, decision, reason });
    if ('error' in settled) throw settled.error;
    return settled.ok;
  }

  /**
   * The batch as ONE statement, with the same guarantees per event as the single-event statement below. Its session
   * row locks (FOR KEY SHARE, in id order) conflict only with a takeover's FOR UPDATE of one row, so it cannot deadlock.
   */
  private async recordVerdictBatch(batch: VerdictRequest[]): Promise<Settled[]> {
    if (batch.length === 1) return [await this.settle(() => this.recordOneVerdict(batch[0]))];
    let rows: { held: boolean; verdict_id: string | null }[];
    try {
      const params = batch.map((b) => this.eventParams(b.e));
      const column = (i: number) => params.map((p) => p[i]);
      ({ rows } = await this.prisma.pool.query<{ held: boolean; verdict_id: string | null }>(
        replannedStatement(
          'arbiter_record_verdicts',
          `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::"EventKind"[], $5::text[], $6::jsonb[], $7::text[], $8::text[],
                                $9::"RuleAction"[], $10::uuid[], $11::jsonb[], $12::"Decision"[], $13::text[])
             WITH ORDINALITY AS i(session_id, epoch, event_id, kind, tool, input, agent_id, input_sha256, rule_action, rule_id, rule_snapshot, decision, reason, n)
         ),
         held AS (
           SELECT s.id, s.epoch FROM agent_sessions s JOIN api_keys k ON k.id = s.api_key_id
            WHERE (s.id, s.epoch) IN (SELECT session_id, epoch FROM input) AND k.revoked_at IS NULL
            ORDER BY s.id
            FOR KEY SHARE OF s
         ),
         ev AS (
           INSERT INTO agent_events (id, session_id, event_id, kind, tool, input, agent_id, input_sha256, rule_action, rule_id, rule_snapshot)
           SELECT gen_random_uuid(), i.session_id, i.event_id, i.kind, i.tool, i.input, i.agent_id, i.input_sha256, i.rule_action, i.rule_id, i.rule_snapshot
             FROM input i JOIN held h ON h.id = i.session_id AND h.epoch = i.epoch
            ORDER BY i.n
           ON CONFLICT (session_id, event_id) DO NOTHING
           RETURNING id, session_id, event_id
         ),
         v AS (
           INSERT INTO verdicts (id, session_id, event_row_id, event_id, decision, reason, source, input_sha256)
           SELECT DISTINCT ON (ev.id) gen_random_uuid(), ev.session_id, ev.id, ev.event_id, i.decision, i.reason, 'policy', i.input_sha256
             FROM ev JOIN input i ON i.session_id = ev.session_id AND i.event_id = ev.event_id
            ORDER BY ev.id, i.n
           RETURNING id, session_id, event_id
         )
         SELECT h.id IS NOT NULL AS held, v.id AS verdict_id
           FROM input i
           LEFT JOIN held h ON h.id = i.session_id AND h.epoch = i.epoch
           LEFT JOIN v ON v.session_id = i.session_id AND v.event_id = i.event_id
          ORDER BY i.n`,
          [
            ...Array.from({ length: 11 }, (_, i) => column(i)),
            batch.map((b) => b.decision),
            batch.map((b) => b.reason),
          ],
        ),
      ));
    } catch {
      // One event can fail the whole statement (an input PostgreSQL cannot store, 22P05/22P02; one that cannot be
      // serialised): record them one by one, so only the event at fault gets an error, never the other sessions'
      // (other projects') events that shared its batch.
      return Promise.all(batch.map((b) => this.settle(() => this.recordOneVerdict(b))));
    }
    return Promise.all(
      batch.map((b, n) =>
        this.settle(async () => {
          const row = rows[n];
          if (!row.held) return { kind: 'not_held' } as const;
          if (!row.verdict_id) return this.existing(b.e.sessionId, b.e.frame.event_id);
          return this.verdictOutcome(b, row.verdict_id);
        }),
      ),
    );
  }

  private async settle(fn: () => Promise<RecordOutcome>): Promise<Settled> {
    try {
      return { ok: await fn() };
    } catch (error) {
      return { error };
    }
  }

  private verdictOutcome({ e, decision, reason }: VerdictRequest, verdictId: string): RecordOutcome {
    return {
      kind: 'verdict',
      verdictId,
      frame: { type: 'verdict', event_id: e.frame.event_id, decision, reason, source: 'policy', review_id: null, input_sha256: e.inputSha256 },
    };
  }

  private async recordOneVerdict(r: VerdictRequest): Promise<RecordOutcome> {
    const { e, decision, reason } = r;
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
    return this.verdictOutcome(r, rows[0].verdict_id);
  }

  async recordReview(e: EventToRecord, timeoutDecision: 'allow' | 'block', timeoutSeconds: number): Promise<RecordOutcome> {
    const { rows } = await this.prisma.pool.query<{ held: number; review_id: string | null; event_row_id: string; created_at: Date; expires_at: Date }>({
      name: 'arbiter_record_review',
      text: `WITH ${HELD},
       r AS (
         INSERT INTO reviews (id, project_id, session_id, event_row_id, status, input_sha256, rule_snapshot, timeout_decision, expires_at)
         SELECT gen_random_uuid(), $12, $1, ev.id, 'pending', $8, $11::jsonb, $13::"Decision", now() + make_interval(secs => $14) FROM ev
         RETURNING id, event_row_id, created_at, expires_at
       )
       SELECT (SELECT count(*) FROM held)::int AS held, r.id AS review_id, r.event_row_id, r.created_at, r.expires_at
         FROM (SELECT 1) one LEFT JOIN r ON true`,
      values: [...this.eventParams(e), e.projectId, timeoutDecision, timeoutSeconds],
    });
    const row = rows[0];
    if (!row.held) return { kind: 'not_held' };
    if (!row.review_id) return this.existing(e.sessionId, e.frame.event_id);
    return {
      kind: 'pending',
      reviewId: row.review_id,
      created: {
        eventRowId: row.event_row_id,
        kind: e.frame.kind,
        tool: e.frame.tool ?? null,
        ruleReason: e.rule?.reason ?? null,
        timeoutDecision,
        inputSha256: e.inputSha256,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      },
      frame: { type: 'pending', event_id: e.frame.event_id, review_id: row.review_id },
    };
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
      edited_input: unknown;
      original_input_sha256: string | null;
      review_id: string | null;
      review_status: string | null;
    }>({
      name: 'arbiter_existing_event',
      // The verdict's hash: an edited approval's is the edited input's (equal to the event's otherwise).
      text: `SELECT v.id AS verdict_id, v.decision::text AS decision, v.reason, v.source::text AS source, v.review_id AS verdict_review_id,
              COALESCE(v.input_sha256, e.input_sha256) AS input_sha256, v.edited_input, v.original_input_sha256, r.id AS review_id,
              r.status::text AS review_status
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
        frame: verdictFrameOf({ ...row, event_id: eventId, decision: row.decision, reason: row.reason ?? '', source: row.source, review_id: row.verdict_review_id }),
      };
    }
    if (row?.review_id && row.review_status === 'withdrawn') {
      return { kind: 'withdrawn', frame: { type: 'cancelled', event_id: eventId, review_id: row.review_id, result: 'withdrawn' } };
    }
    if (row?.review_id) return { kind: 'pending', reviewId: row.review_id, frame: { type: 'pending', event_id: eventId, review_id: row.review_id } };
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
