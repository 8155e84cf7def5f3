import { Injectable } from '@nestjs/common';
import type { SqlTx } from '../infra/database/sql-transaction.js';
import { CHANGED, type ChangedReview, type ReviewRow, ReviewsRepository, type Sql } from './reviews.repository.js';

/**
 * The sweeper's statements on reviews: expiry, the 80 % warning and the claim on announcements nobody made. Apart from
 * ReviewsRepository because they run in batches over every project, with locking of their own (SKIP LOCKED), where
 * that one holds the statements a single request or frame drives.
 */
@Injectable()
export class ReviewSweepRepository {
  constructor(private readonly reviews: ReviewsRepository) {}

  /**
   * Expires up to `limit` reviews whose window has closed: ONE statement. SKIP LOCKED shares the due rows out between
   * sweepers on several instances (none waits on another), a review a person is deciding right now is skipped and
   * re-checked on the next pass, and the outer `status = 'pending'` re-check means a row is expired at most once.
   */
  async expireDue(tx: Sql, limit: number): Promise<ChangedReview[]> {
    return tx.$queryRaw<ChangedReview[]>`
      WITH due AS (
        SELECT id FROM reviews
         WHERE status = 'pending' AND expires_at <= statement_timestamp()
         ORDER BY expires_at LIMIT ${limit}::int
         FOR UPDATE SKIP LOCKED
      ), x AS (
        UPDATE reviews r SET status = 'expired', decided_at = statement_timestamp()
          FROM due WHERE r.id = due.id AND r.status = 'pending'
        RETURNING r.*
      )
      SELECT ${CHANGED} FROM x JOIN agent_events e ON e.id = x.event_row_id`;
  }

  /** Marks (once) pending reviews past 80 % of their window, for the review.expiring webhook. Same locking as expireDue. */
  async markExpiring(tx: Sql, limit: number): Promise<ChangedReview[]> {
    return tx.$queryRaw<ChangedReview[]>`
      WITH due AS (
        SELECT id FROM reviews
         WHERE status = 'pending' AND expiring_sent_at IS NULL AND expires_at > statement_timestamp()
           AND statement_timestamp() >= created_at + (expires_at - created_at) * 0.8
         ORDER BY expires_at LIMIT ${limit}::int
         FOR UPDATE SKIP LOCKED
      ), x AS (
        UPDATE reviews r SET expiring_sent_at = statement_timestamp()
          FROM due WHERE r.id = due.id AND r.status = 'pending' AND r.expiring_sent_at IS NULL
        RETURNING r.*
      )
      SELECT ${CHANGED} FROM x JOIN agent_events e ON e.id = x.event_row_id`;
  }

  /**
   * The sweeper's side of `announceCreated`: records as announced up to `limit` reviews from the last hour, older than
   * `olderThanSeconds`, that nobody announced (their instance died first), and returns their summaries for the caller
   * to announce in the same transaction. The record is an insert into review_announcements (its key makes a second
   * claimer find a conflict, so each review is announced once), and takes no lock on the review itself, which a
   * person may be deciding at that moment.
   */
  async claimMissedCreatedAnnouncements(tx: SqlTx, olderThanSeconds: number, limit: number): Promise<ReviewRow[]> {
    const claimed = await tx.query<{ review_id: string }>(
      `INSERT INTO review_announcements (review_id)
       SELECT r.id FROM reviews r
        WHERE r.created_at > statement_timestamp() - interval '1 hour'
          AND r.created_at < statement_timestamp() - make_interval(secs => $1::int)
          AND r.status <> 'withdrawn'
          AND NOT EXISTS (SELECT 1 FROM review_announcements a WHERE a.review_id = r.id)
        ORDER BY r.created_at LIMIT $2::int
       ON CONFLICT (review_id) DO NOTHING
       RETURNING review_id::text AS review_id`,
      [olderThanSeconds, limit],
    );
    return this.reviews.summaries(
      tx,
      claimed.map((r) => r.review_id),
    );
  }
}
