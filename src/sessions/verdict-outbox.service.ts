import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { VerdictFrame } from './protocol.js';
import { sessionOutboxChannel } from './session-events.js';

export interface OutboxVerdict extends VerdictFrame {
  id: string;
  seq: string;
}

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
  constructor(private readonly prisma: PrismaService) {}

  /** Every verdict of the session not yet acked, oldest first. */
  async unacked(sessionId: string): Promise<OutboxVerdict[]> {
    const { rows } = await this.prisma.pool.query<OutboxVerdict>(
      `SELECT id, seq::text AS seq, event_id, decision::text AS decision, reason, source::text AS source,
              review_id, input_sha256
         FROM verdicts WHERE session_id = $1 AND acked_at IS NULL ORDER BY seq`,
      [sessionId],
    );
    return rows.map((r) => ({ ...r, type: 'verdict' as const }));
  }

  /** Marks a verdict delivered, if the acking connection still holds the session (its epoch is current). */
  async ack(sessionId: string, epoch: number, eventId: string): Promise<boolean> {
    const { rowCount } = await this.prisma.pool.query(
      `UPDATE verdicts v SET acked_at = now()
         FROM agent_sessions s
        WHERE v.session_id = $1 AND v.event_id = $3 AND v.acked_at IS NULL AND s.id = v.session_id AND s.epoch = $2`,
      [sessionId, epoch, eventId],
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * Appends a human or timeout verdict inside the caller's transaction (the one that decided the review), and
   * notifies on commit so the instance holding the session sends it.
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
    await tx.$executeRaw`SELECT pg_notify(${sessionOutboxChannel.name}, ${JSON.stringify({ session_id: v.sessionId })})`;
  }
}
