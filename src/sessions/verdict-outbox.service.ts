import { Injectable, Logger } from '@nestjs/common';
import { notifyOnCommit } from '../infra/notify/notify-channel.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { replannedStatement } from '../infra/database/replanned-statement.js';
import type { AckStatus, VerdictFrame } from './protocol.js';
import { sessionOutboxChannelOf } from './session-events.js';

const ACK_BATCH_MS = 5;
const ACK_BATCH_MAX = 500;

export interface OutboxVerdict extends VerdictFrame {
  id: string;
  seq: string;
}

/** A verdicts row's columns that make its frame. */
export interface VerdictRow {
  event_id: string;
  decision: 'allow' | 'block';
  reason: string;
  source: 'policy' | 'review' | 'timeout';
  review_id: string | null;
  input_sha256: string;
  edited_input: unknown;
  original_input_sha256: string | null;
}

/** The frame for a verdict row: an edited approval (original_input_sha256 set) carries the input to run. */
export function verdictFrameOf(r: VerdictRow): VerdictFrame {
  const frame: VerdictFrame = {
    type: 'verdict',
    event_id: r.event_id,
    decision: r.decision,
    reason: r.reason,
    source: r.source,
    review_id: r.review_id,
    input_sha256: r.input_sha256,
  };
  if (r.original_input_sha256 === null) return frame;
  return { ...frame, edited: true, input: r.edited_input ?? null, original_input_sha256: r.original_input_sha256 };
}

type PendingAck = { sessionId: string; epoch: number; eventId: string; status: AckStatus };

export interface ReviewVerdict {
  sessionId: string;
  eventRowId: string;
  eventId: string;
  reviewId: string;
  decision: 'allow' | 'block';
  reason: string;
  source: 'review' | 'timeout';
  inputSha256: string;
}

/**
 * Verdicts are rows first (the outbox) and messages second. A verdict stays owed to its session until the agent acks
 * it; whichever instance holds the session's socket sends what is owed, on NOTIFY, on login and after a reconnect of
 * its LISTEN connection.
 */
@Injectable()
export class VerdictOutboxService {
  private readonly logger = new Logger(VerdictOutboxService.name);
  private acks: PendingAck[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  /** Ack writes run one after another, so a flush can wait for the ones already under way. */
  private ackWrites: Promise<void> = Promise.resolve();

  constructor(private readonly prisma: PrismaService) {}

  /** Every verdict of the session not yet acked, oldest first. */
  async unacked(sessionId: string): Promise<OutboxVerdict[]> {
    const { rows } = await this.prisma.pool.query<VerdictRow & { id: string; seq: string }>({
      name: 'arbiter_unacked_verdicts',
      text: `SELECT id, seq::text AS seq, event_id, decision::text AS decision, reason, source::text AS source,
              review_id, input_sha256, edited_input, original_input_sha256
         FROM verdicts WHERE session_id = $1 AND acked_at IS NULL ORDER BY seq`,
      values: [sessionId],
    });
    return rows.map((r) => ({ ...verdictFrameOf(r), id: r.id, seq: r.seq }));
  }

  /**
   * Marks verdicts delivered, if the acking connection still holds the session (its epoch is current). Acks are
   * bookkeeping, not decisions: they are batched (one UPDATE for every ack this instance received in the last few
   * milliseconds), and an ack lost in a crash only means the verdict is sent again, which the SDK drops. `status` says
   * whether the agent acted on it (received) or its caller had given up (discarded).
   */
  ack(sessionId: string, epoch: number, eventId: string, status: AckStatus = 'received'): void {
    this.acks.push({ sessionId, epoch, eventId, status });
    if (this.acks.length >= ACK_BATCH_MAX) void this.flushAcks();
    else this.ackTimer ??= setTimeout(() => void this.flushAcks(), ACK_BATCH_MS);
  }

  /** Writes the acks received so far; resolves once they and any write already under way are committed. */
  flushAcks(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const batch = this.acks.splice(0);
    if (batch.length > 0) this.ackWrites = this.ackWrites.then(() => this.writeAcks(batch));
    return this.ackWrites;
  }

  private async writeAcks(batch: PendingAck[]): Promise<void> {
    try {
      // Committed without waiting for its flush (PrismaService.bookkeepingPool): an ack lost in a database crash only
      // means the verdict is sent again. Visibility is immediate either way, so a lease freed after this write never
      // hands the next holder an acked verdict.
      await this.prisma.bookkeepingPool.query(
        replannedStatement(
          'arbiter_ack_verdicts',
          // The epoch check is a scalar subquery, not a join: joined, the session's id could stand in for the
          // verdict's session_id, and the planner then reached verdicts by session alone, reading all of its verdicts.
          `UPDATE verdicts v SET acked_at = now(), ack_status = a.status
           FROM unnest($1::uuid[], $2::int[], $3::text[], $4::"AckStatus"[]) AS a(session_id, epoch, event_id, status)
          WHERE v.session_id = a.session_id AND v.event_id = a.event_id AND v.acked_at IS NULL
            AND (SELECT s.epoch FROM agent_sessions s WHERE s.id = a.session_id) = a.epoch`,
          [batch.map((a) => a.sessionId), batch.map((a) => a.epoch), batch.map((a) => a.eventId), batch.map((a) => a.status)],
        ),
      );
    } catch (err) {
      this.logger.warn(`recording ${batch.length} acks failed (${(err as Error).message}); those verdicts will be sent again`);
    }
  }

  /**
   * Appends a human or timeout verdict inside the caller's transaction (the one that decided the review), and
   * notifies on commit the instance holding the session, so it sends it. The session row is key-share locked to find
   * that instance: see sessionOutboxChannelOf.
   */
  async appendForReview(tx: Prisma.TransactionClient, v: ReviewVerdict): Promise<void> {
    await tx.verdict.create({
      data: {
        sessionId: v.sessionId,
        eventRowId: v.eventRowId,
        eventId: v.eventId,
        reviewId: v.reviewId,
        decision: v.decision,
        reason: v.reason,
        source: v.source,
        inputSha256: v.inputSha256,
      },
    });
    const [holder] = await tx.$queryRaw<{ instance_id: string | null }[]>`
      SELECT instance_id FROM agent_sessions WHERE id = ${v.sessionId}::uuid FOR KEY SHARE`;
    // No holder: nobody to wake; the next login's claim sends every unacked verdict.
    if (holder?.instance_id) await notifyOnCommit(tx, sessionOutboxChannelOf(holder.instance_id), { session_id: v.sessionId });
  }
}
