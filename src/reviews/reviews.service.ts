import { Inject, Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import { StatementSignInService, type UncheckedSignIn } from '../auth/statement-sign-in.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { poolSql, prismaSql } from '../infra/database/sql-transaction.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import {
  type DecideReviewDto,
  type DecisionResultView,
  type ReviewDetailView,
  type ReviewListQuery,
  type ReviewView,
  reviewDetailView,
  reviewView,
} from './dto/review.dto.js';
import { checkEditedInput } from './edited-input.js';
import { ReviewAnnouncer } from './review-announcer.service.js';
import { type EditedInput, type ReviewState, ReviewsRepository } from './reviews.repository.js';

const RECENT_EVENTS = 20;

function stateDetails(state: ReviewState): Record<string, unknown> {
  return {
    review_id: state.id,
    status: state.status,
    expires_at: state.expires_at.toISOString(),
    decided_by: state.decided_by,
    decided_at: state.decided_at?.toISOString() ?? null,
  };
}

/** Why a pending-only change could not be made: 404, or 409 with the review's actual state. */
function notPending(state: ReviewState | undefined, what: string): AppError {
  if (!state) return new AppError('not_found', 'review not found');
  if (state.status !== 'pending') return new AppError('already_decided', `cannot ${what}: the review is already ${state.status}`, undefined, stateDetails(state));
  // Still pending but past its deadline: the sweeper is about to apply the timeout decision.
  return new AppError('already_decided', `cannot ${what}: the review's window closed at ${state.expires_at.toISOString()}; its timeout decision applies`, undefined, {
    ...stateDetails(state),
    window_closed: true,
  });
}

@Injectable()
export class ReviewsService {
  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly prisma: PrismaService,
    private readonly reviews: ReviewsRepository,
    private readonly announcer: ReviewAnnouncer,
    private readonly audit: AuditService,
    private readonly signIns: StatementSignInService,
  ) {}

  async list(query: ReviewListQuery): Promise<Page<ReviewView>> {
    const limit = query.limit ?? 50;
    const rows = await this.reviews.list({ status: query.status, projectId: query.project, sessionId: query.session }, decodeCursor(query.cursor, UUID_ID), limit);
    return pageOf(rows, limit, (r) => ({ at: r.created_at, id: r.id }), reviewView);
  }

  async get(id: string): Promise<ReviewDetailView> {
    const row = await this.reviews.detail(id);
    if (!row) throw new AppError('not_found', 'review not found');
    const recent = await this.reviews.recentEvents(row.session_id, BigInt(row.event_seq), RECENT_EVENTS);
    return reviewDetailView(row, recent.reverse());
  }

  /**
   * First decision wins: ONE autocommitted statement decides, writes the verdict (outbox row, delivered wherever and
   * whenever the agent is connected, and sent on its commit) and the audit entry. The feed's review.decided follows in
   * a transaction of its own: the agent waiting on this verdict should wait for nothing else. (A crash between the two
   * loses that one feed event; the feed is best-effort by design, see StreamEventsRepository, and review.decided has
   * no webhook.) The same statement checks the reviewer's sign-in, so the request makes one round trip before the
   * agent has its verdict; only a refusal costs more (finding out why). Raw SQL, not Prisma: each Prisma round trip
   * cost milliseconds on this path.
   */
  async decide(id: string, input: DecideReviewDto, signIn: UncheckedSignIn, requestId?: string): Promise<DecisionResultView> {
    const status = input.decision === 'approve' ? 'approved' : 'denied';
    const decision = input.decision === 'approve' ? 'allow' : 'block';
    const note = input.note ?? null;
    const edited = input.input === undefined ? undefined : await this.editedInput(id, input);
    const reason = edited ? (note ?? 'approved with edits') : `${status} by a reviewer${note ? `: ${note}` : ''}`;
    const decided = await this.reviews.decideWithVerdict(poolSql(this.prisma.pool), {
      reviewId: id,
      edited,
      status,
      action: input.decision,
      decision,
      reason,
      note,
      signIn,
      requestId,
    });
    if (!decided) throw (await this.signIns.refusal(signIn)) ?? notPending(await this.reviews.state(id), 'decide');
    await Promise.all([this.announcer.announceCommitted([{ type: 'review.decided', review: decided }]), this.signIns.slide(signIn, decided)]);
    return {
      review: reviewView(decided),
      verdict: {
        event_id: decided.event_id,
        decision,
        reason,
        source: 'review',
        review_id: decided.id,
        input_sha256: edited?.inputSha256 ?? decided.input_sha256,
        ...(edited ? { edited: true as const, input: edited.input, original_input_sha256: decided.input_sha256 } : {}),
      },
      agent_connected: decided.agent_connected,
    };
  }

  /**
   * An approval's edited input, checked: approvals only, where the project allows edits, within an event input's
   * limits; hashed over the event's kind and tool as the agent will check it. The project's setting is read here, not
   * in the decision's statement: a change of it racing a decision may go either way, as for any setting.
   */
  private async editedInput(id: string, input: DecideReviewDto): Promise<EditedInput> {
    if (input.decision !== 'approve') throw new AppError('validation_failed', 'input: only an approval can carry an edited input');
    const target = await this.reviews.editTarget(id);
    if (!target) throw new AppError('not_found', 'review not found');
    if (!target.allow_edits) throw new AppError('edits_not_allowed', "input: this project does not allow approving with edits (its allow_edits is off)");
    const checked = checkEditedInput(input.input, target, this.config.wsMaxFrameBytes);
    if (!checked.ok) throw new AppError('validation_failed', `input: ${checked.message}`);
    return { input: input.input, inputSha256: checked.inputSha256 };
  }

  /** Moves the deadline of a pending review, within the project's maximum window; audited. */
  async extend(id: string, seconds: number, user: UserPrincipal, requestId?: string): Promise<ReviewView> {
    const review = await this.prisma.$transaction(async (tx) => {
      const changed = await this.reviews.extend(tx, id, seconds);
      if (!changed) return undefined;
      const previous = new Date(changed.expires_at.getTime() - seconds * 1000);
      await this.audit.record(
        {
          actor: actorOf(user),
          action: 'review.extend',
          target: { type: 'review', id },
          details: { seconds, previous_expires_at: previous.toISOString(), expires_at: changed.expires_at.toISOString(), project_id: changed.project_id },
          requestId,
        },
        tx,
      );
      const [row] = await this.reviews.summaries(prismaSql(tx), [id]);
      await this.announcer.announce(prismaSql(tx), [{ type: 'review.extended', review: row }]);
      return row;
    });
    if (review) return reviewView(review);
    const state = await this.reviews.state(id);
    if (!state || state.status !== 'pending' || state.window_closed) throw notPending(state, 'extend');
    const room = Math.floor((state.created_at.getTime() + state.max_window_seconds * 1000 - state.expires_at.getTime()) / 1000);
    throw new AppError(
      'validation_failed',
      `seconds: the project allows a review window of at most ${state.max_window_seconds} s in all; this review can be extended by at most ${Math.max(0, room)} s`,
      undefined,
      { max_extension_seconds: Math.max(0, room), max_window_seconds: state.max_window_seconds },
    );
  }
}
