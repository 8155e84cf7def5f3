import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { type SqlTx, pgTransaction, poolSql } from '../infra/database/sql-transaction.js';
import { type ReviewCreated, type ReviewWithdrawn, SessionHooks } from '../sessions/session-hooks.service.js';
import { type NewStreamEvent, STREAM_EVENT_TYPES, type StreamEventType, streamAppendedChannel } from '../stream/stream-event.js';
import { StreamEventsRepository } from '../stream/stream-events.repository.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType, webhookDueChannel } from '../webhooks/webhook-events.js';
import { WebhooksRepository } from '../webhooks/webhooks.repository.js';
import { type ReviewRow, ReviewsRepository } from './reviews.repository.js';

export type ReviewEventType = 'review.created' | 'review.decided' | 'review.expired' | 'review.extended' | 'review.expiring' | 'review.withdrawn';

export interface Announcement {
  type: ReviewEventType;
  review: ReviewRow;
}

const isStreamType = (t: string): t is StreamEventType => (STREAM_EVENT_TYPES as readonly string[]).includes(t);
const isWebhookType = (t: string): t is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t);

/** A review as it was recorded, before anyone decided it: what its review.created announcement reports. */
function newReviewRow({ reviewId, projectId, sessionId, externalId, eventId, review }: ReviewCreated): ReviewRow {
  return {
    id: reviewId,
    project_id: projectId,
    session_id: sessionId,
    session_external_id: externalId,
    event_row_id: review.eventRowId,
    event_id: eventId,
    kind: review.kind,
    tool: review.tool,
    status: 'pending',
    timeout_decision: review.timeoutDecision,
    rule_reason: review.ruleReason,
    input_sha256: review.inputSha256,
    created_at: review.createdAt,
    expires_at: review.expiresAt,
    decided_by: null,
    decided_at: null,
    note: null,
    verdict_decision: null,
    verdict_source: null,
    verdict_reason: null,
    withdrawn_reason: null,
    verdict_edited: false,
    edited_input: null,
    edited_input_sha256: null,
    // Not in the announcement's payload.
    allow_edits: false,
  };
}

/**
 * Tells the dashboard feed and the project's webhooks about a review, inside the transaction that changed it: the
 * stream event and the webhook deliveries commit with the change or not at all. Calls go out later, from the queue.
 * One exception: a person's decision is committed alone, for the waiting agent's sake, and announced right after
 * (`announceCommitted`; review.decided goes to the feed only).
 */
@Injectable()
export class ReviewAnnouncer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReviewAnnouncer.name);
  private readonly inFlight = new Set<Promise<void>>();
  /** review.created announcements under way, by review: a withdrawal of the same review is announced after it. */
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly prisma: PrismaService,
    private readonly reviews: ReviewsRepository,
    private readonly stream: StreamEventsRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly hooks: SessionHooks,
  ) {}

  /**
   * The review row is written by the agent gateway together with its event; the gateway tells us after the agent got
   * `pending`. If this instance dies in between, the sweeper announces the review a few seconds later
   * (ReviewSweeper, `claimMissedCreatedAnnouncements`): each review is announced once either way.
   */
  onModuleInit(): void {
    this.hooks.onReviewCreated((created) => {
      const work = this.announceCreated(created);
      this.creating.set(created.reviewId, work);
      return this.track(work).finally(() => this.creating.delete(created.reviewId));
    });
    this.hooks.onReviewWithdrawn((withdrawn) => this.track(this.announceWithdrawn(withdrawn)));
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** Lets announcements under way finish before the pool closes (the database module shuts down last). */
  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves when the review.created announcements started so far have finished. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** ONE statement and no read back: the gateway hands over what it recorded. */
  private async announceCreated(created: ReviewCreated): Promise<void> {
    try {
      await this.reviews.announceCreated(poolSql(this.prisma.pool), {
        reviewId: created.reviewId,
        projectId: created.projectId,
        payload: this.payload('review.created', newReviewRow(created)),
        webhookChannel: webhookDueChannel.name,
        feedChannel: streamAppendedChannel.name,
      });
    } catch (err) {
      this.logger.warn(`review.created for ${created.reviewId} was not announced yet (the sweeper will): ${(err as Error).message}`);
    }
  }

  /**
   * review.withdrawn, after the agent's cancel committed (EventCancellation): to the feed and the webhooks, once the
   * review's own review.created (if still under way here, as when the agent cancels at once) went out, so nobody
   * hears of a withdrawal before the review. A crash between the commit and this loses the announcement (as for a
   * decision); the review's state is in the API either way.
   */
  private async announceWithdrawn({ reviewId }: ReviewWithdrawn): Promise<void> {
    await this.creating.get(reviewId);
    try {
      const [review] = await this.reviews.summaries(poolSql(this.prisma.pool), [reviewId]);
      if (review) await this.announceCommitted([{ type: 'review.withdrawn', review }]);
    } catch (err) {
      this.logger.warn(`review.withdrawn for ${reviewId} was not announced: ${(err as Error).message}`);
    }
  }

  /**
   * Announces changes already committed, on their own: feed-only announcements (review.decided) in one statement,
   * others in a transaction with their webhook deliveries. Never fails the caller: the change stands, and a failure
   * to announce it is logged.
   */
  async announceCommitted(announcements: Announcement[]): Promise<void> {
    try {
      if (announcements.some(({ type }) => isWebhookType(type))) await pgTransaction(this.prisma.pool, (tx) => this.announce(tx, announcements));
      else await this.stream.publish(this.feedEvents(announcements));
    } catch (err) {
      this.logger.warn(`announcing ${announcements.map((a) => `${a.type} ${a.review.id}`).join(', ')} failed: ${(err as Error).message}`);
    }
  }

  /** Queues webhook deliveries, then appends the stream events (last: that takes a lock held until commit). */
  async announce(tx: SqlTx, announcements: Announcement[]): Promise<void> {
    for (const { type, review } of announcements) {
      if (!isWebhookType(type)) continue;
      // One delivery per (webhook, event); a review can warn again only after its deadline moved.
      const key = type === 'review.expiring' ? `${type}:${review.id}:${review.expires_at.getTime()}` : `${type}:${review.id}`;
      await this.webhooks.enqueue(tx, review.project_id, type, key, this.payload(type, review));
    }
    await this.stream.append(tx, this.feedEvents(announcements));
  }

  private feedEvents(announcements: Announcement[]): NewStreamEvent[] {
    return announcements.flatMap(({ type, review }) => (isStreamType(type) ? [{ projectId: review.project_id, type, payload: this.payload(type, review) }] : []));
  }

  /** What webhooks and the feed carry about a review. Never the event's input: fetch it from the API if allowed. */
  payload(type: ReviewEventType, r: ReviewRow): Record<string, unknown> {
    return {
      review_id: r.id,
      project_id: r.project_id,
      session_id: r.session_id,
      session_external_id: r.session_external_id,
      event_id: r.event_id,
      kind: r.kind,
      tool: r.tool,
      status: r.status,
      reason: r.rule_reason,
      timeout_decision: r.timeout_decision,
      created_at: r.created_at.toISOString(),
      expires_at: r.expires_at.toISOString(),
      decided_by: r.decided_by,
      decided_at: r.decided_at?.toISOString() ?? null,
      note: r.note,
      decision: r.verdict_decision,
      source: r.verdict_source,
      ...(type === 'review.expiring' ? { seconds_left: Math.max(0, Math.round((r.expires_at.getTime() - Date.now()) / 1000)) } : {}),
      ...(type === 'review.withdrawn' ? { withdrawn_reason: r.withdrawn_reason } : {}),
      review_url: `${this.config.publicUrl}/api/reviews/${r.id}`,
    };
  }
}
