import { Inject, Injectable } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { ServerSecretService } from '../infra/crypto/server-secret.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import type { RequestContext } from '../infra/http/request-context.js';
import { RateLimitService } from '../infra/rate-limit/rate-limit.service.js';
import { type PublicShareStateView, type Transcript, publicShareStateView, remainingViews, shareState } from './dto/share.dto.js';
import { KeyedMicroBatcher } from '../infra/scheduling/micro-batcher.js';
import { redact } from './redaction.js';
import { type ConsumedView, ShareLinksRepository, type TranscriptRow } from './share-links.repository.js';
import { shareTokenHash } from './share-token.js';

/** Viewers of one link served by one statement at most. */
const MAX_VIEWS_PER_STATEMENT = 256;

interface Viewer {
  clientHash: string;
  userAgent: string | null;
}

/** A viewer's view and what it shows, or nothing when the link had no view left for them. */
type ViewResult = { view: ConsumedView; shown: Omit<Transcript, 'share'> } | undefined;

/** A transcript carries at most this many events (the oldest ones), with `truncated: true` past it. */
export const MAX_TRANSCRIPT_EVENTS = 5000;

const GONE_MESSAGES = {
  revoked: 'this share link has been revoked',
  expired: 'this share link has expired',
  view_limit_reached: 'this share link has no views left',
} as const;

/** The public, no-login side of share links: state, the page, and consumed views with their transcripts. */
@Injectable()
export class PublicSharesService {
  /**
   * Viewers of the same link who arrive while its previous statement runs share the next one (see
   * ShareLinksRepository.consumeViews); each gets its own view, counted in arrival order, or none past the limit.
   */
  private readonly views = new KeyedMicroBatcher<Viewer, ViewResult>(async (tokenHash, viewers) => {
    const done = await this.links.consumeViews(tokenHash, viewers, MAX_TRANSCRIPT_EVENTS + 1);
    // Every viewer of the batch sees the same transcript: redacted and shaped once.
    const shown = done ? transcriptOf(done.rows) : undefined;
    return viewers.map((_, i) => {
      if (!done || !shown || i >= done.granted) return undefined;
      return { view: { id: done.shareId, expires_at: done.expiresAt, max_views: done.maxViews, view_count: done.countBefore + i + 1 }, shown };
    });
  }, MAX_VIEWS_PER_STATEMENT);

  constructor(
    private readonly links: ShareLinksRepository,
    private readonly rateLimit: RateLimitService,
    private readonly secrets: ServerSecretService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  /** Reads only: previews and the page's first look use no view. */
  async state(token: string, ctx: RequestContext): Promise<PublicShareStateView> {
    const link = await this.links.findByTokenHash(await this.admit(token, ctx));
    if (!link) throw notFound();
    return publicShareStateView(link);
  }

  /** Consumes exactly one view (or none, with the reason) and returns the redacted transcript. */
  async view(token: string, ctx: RequestContext): Promise<Transcript> {
    const tokenHash = await this.admit(token, ctx);
    // Before consuming: a view of a transcript retention removed would count and show nothing.
    if (await this.links.transcriptDeleted(tokenHash)) throw new AppError('transcript_deleted', 'the transcript of this session was deleted: it was older than its retention period');
    const viewer = { clientHash: await this.secrets.hmacHex('share-view-client', ctx.ip), userAgent: ctx.userAgent ?? null };
    const consumed = await this.views.submit(tokenHash, viewer);
    if (!consumed) throw await this.whyNot(tokenHash);
    const { view, shown } = consumed;
    return {
      project: shown.project,
      session: shown.session,
      share: { expires_at: view.expires_at.toISOString(), max_views: view.max_views, view_count: view.view_count, remaining_views: remainingViews(view) },
      events: shown.events,
      truncated: shown.truncated,
    };
  }

  /**
   * A token that cannot be one we issued answers 404 at once, without any database work; the rest count against the
   * caller's address, across all instances. Every public route passes here. The count is its own statement, committed
   * without waiting for a flush, so one busy address's counter row is not held through the view's commit.
   */
  async admit(token: string, ctx: RequestContext): Promise<string> {
    const tokenHash = wellFormed(token);
    const { hits, retryAfterSeconds } = await this.rateLimit.hit(await this.limiterKey(ctx), this.config.sharePublicRateWindowSeconds);
    if (hits > this.config.sharePublicRateLimit) throw rateLimited(retryAfterSeconds);
    return tokenHash;
  }

  /** The address as an HMAC, so the limiter table holds no client addresses. */
  private async limiterKey(ctx: RequestContext): Promise<string> {
    return `share-public:${await this.secrets.hmacHex('rate-limit-address', ctx.ip)}`;
  }

  /**
   * After the consume statement matched nothing: say why. Every condition it tests only ever moves one way (revoked
   * stays revoked, time passes, the count grows), so what this read sees is what made the statement miss.
   */
  private async whyNot(tokenHash: string): Promise<AppError> {
    const link = await this.links.findByTokenHash(tokenHash);
    if (!link) return notFound();
    const state = shareState(link);
    const code = state === 'revoked' ? 'revoked' : state === 'expired' ? 'expired' : 'view_limit_reached';
    return new AppError(code, GONE_MESSAGES[code]);
  }
}

function wellFormed(token: string): string {
  const tokenHash = shareTokenHash(token);
  if (!tokenHash) throw notFound();
  return tokenHash;
}

function rateLimited(retryAfterSeconds: number): AppError {
  return new AppError('rate_limited', 'too many shared-link requests from this address; try again later', retryAfterSeconds);
}

function notFound(): AppError {
  return new AppError('not_found', 'no share link has this token');
}

/** What a view shows, but for the link's own state: the redacted transcript, from the rows the consume statement read. */
function transcriptOf(rows: TranscriptRow[]): Omit<Transcript, 'share'> {
  const first = rows[0];
  const events = rows.filter((r) => r.seq !== null);
  return {
    project: { name: first.project_name },
    session: { label: first.external_id, agent_id: first.session_agent_id, source: first.source, created_at: first.session_created_at.toISOString() },
    events: events.slice(0, MAX_TRANSCRIPT_EVENTS).map((e) => ({
      event_id: e.event_id,
      kind: e.kind,
      tool: e.tool,
      agent_id: e.agent_id,
      input: redact(e.input, first.redact_keys),
      created_at: e.created_at.toISOString(),
      verdict:
        e.decision !== null
          ? {
              decision: e.decision,
              reason: e.reason ?? '',
              source: e.verdict_source ?? '',
              created_at: e.verdict_at?.toISOString() ?? '',
              ack_status: e.ack_status,
              edited: e.verdict_edited === true,
            }
          : null,
      review: e.review_status !== null ? { status: e.review_status, decided_at: e.review_decided_at?.toISOString() ?? null } : null,
    })),
    truncated: events.length > MAX_TRANSCRIPT_EVENTS,
  };
}
