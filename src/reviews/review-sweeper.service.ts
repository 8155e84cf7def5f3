import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditService, SYSTEM_ACTOR } from '../audit/audit.service.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { prismaSql } from '../infra/database/sql-transaction.js';
import { VerdictOutboxService } from '../sessions/verdict-outbox.service.js';
import { ReviewAnnouncer } from './review-announcer.service.js';
import { PeriodicJob } from '../infra/scheduling/periodic-job.js';
import { ReviewSweepRepository } from './review-sweep.repository.js';
import { ReviewsRepository } from './reviews.repository.js';

const BATCH = 100;
/** How long the gateway's own announcement of a new review may take before the sweeper assumes its instance died. */
const MISSED_ANNOUNCEMENT_AFTER_SECONDS = 5;

/**
 * Runs on every instance, every ARBITER_REVIEW_SWEEP_INTERVAL_MS: expires reviews whose window closed (the agent gets
 * the timeout decision through the verdict outbox, source `timeout`) and flags those past 80 % of their window for the
 * review.expiring webhook. No instance is special: the statements share due rows out with SKIP LOCKED and re-check
 * `pending`, so a review is expired once however many sweepers run.
 */
@Injectable()
export class ReviewSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReviewSweeper.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly prisma: PrismaService,
    private readonly reviews: ReviewsRepository,
    private readonly sweeps: ReviewSweepRepository,
    private readonly outbox: VerdictOutboxService,
    private readonly announcer: ReviewAnnouncer,
    private readonly audit: AuditService,
    private readonly migrations: MigrationStatusService,
  ) {
    this.job = new PeriodicJob('review sweep', config.reviewSweepIntervalMs, () => this.sweep(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.job.start(this.migrations.whenCurrent());
  }

  // Before the pool closes (PrismaService closes it in onApplicationShutdown); a pass in progress finishes or rolls back.
  beforeApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** Runs one full pass now (the timer's work); resolves with how many reviews expired. */
  async sweep(): Promise<number> {
    let expired = 0;
    for (;;) {
      const n = await this.expireBatch();
      expired += n;
      if (n < BATCH || this.job.stopped) break;
    }
    while (!this.job.stopped && (await this.warnBatch()) === BATCH);
    while (!this.job.stopped && (await this.announceMissedBatch()) === BATCH);
    return expired;
  }

  /** Expires a batch; each review's status, timeout verdict, audit entry and announcements commit together. */
  private async expireBatch(): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const expired = await this.sweeps.expireDue(tx, BATCH);
      for (const r of expired) {
        const windowSeconds = Math.round((r.expires_at.getTime() - r.created_at.getTime()) / 1000);
        await this.outbox.appendForReview(tx, {
          sessionId: r.session_id,
          eventRowId: r.event_row_id,
          eventId: r.event_id,
          reviewId: r.id,
          decision: r.timeout_decision,
          reason: `no reviewer decided within ${windowSeconds} s; the timeout decision is ${r.timeout_decision}`,
          source: 'timeout',
          inputSha256: r.input_sha256,
        });
        await this.audit.record(
          {
            actor: SYSTEM_ACTOR,
            action: 'review.expire',
            target: { type: 'review', id: r.id },
            details: { decision: r.timeout_decision, expires_at: r.expires_at.toISOString(), project_id: r.project_id, session_id: r.session_id, event_id: r.event_id },
          },
          tx,
        );
      }
      const rows = await this.reviews.summaries(
        prismaSql(tx),
        expired.map((r) => r.id),
      );
      await this.announcer.announce(
        prismaSql(tx),
        rows.map((review) => ({ type: 'review.expired' as const, review })),
      );
      return expired.length;
    });
  }

  /** Announces review.created for reviews whose instance died between recording them and announcing them. */
  private async announceMissedBatch(): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const missed = await this.sweeps.claimMissedCreatedAnnouncements(prismaSql(tx), MISSED_ANNOUNCEMENT_AFTER_SECONDS, BATCH);
      await this.announcer.announce(
        prismaSql(tx),
        missed.map((review) => ({ type: 'review.created' as const, review })),
      );
      return missed.length;
    });
  }

  private async warnBatch(): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const due = await this.sweeps.markExpiring(tx, BATCH);
      const rows = await this.reviews.summaries(
        prismaSql(tx),
        due.map((r) => r.id),
      );
      await this.announcer.announce(
        prismaSql(tx),
        rows.map((review) => ({ type: 'review.expiring' as const, review })),
      );
      return due.length;
    });
  }
}
