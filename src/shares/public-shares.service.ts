import { Inject, Injectable } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { ServerSecretService } from '../infra/crypto/server-secret.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import type { RequestContext } from '../infra/http/request-context.js';
import { RateLimitService } from '../infra/rate-limit/rate-limit.service.js';
import { type PublicShareStateView, type Transcript, publicShareStateView, remainingViews, shareState } from './dto/share.dto.js';
import { redact } from './redaction.js';
import { type ConsumedView, ShareLinksRepository } from './share-links.repository.js';
import { shareTokenHash } from './share-token.js';

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
  constructor(
    private readonly links: ShareLinksRepository,
    private readonly rateLimit: RateLimitService,
    private readonly secrets: ServerSecretService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  /**
   * Every public request passes here first. A token that cannot be one we issued answers 404 at once, without any
   * database work; the rest count against the caller's address, across all instances.
   */
  async admit(token: string, ctx: RequestContext): Promise<string> {
    const tokenHash = shareTokenHash(token);
    if (!tokenHash) throw notFound();
    const key = `share-public:${await this.secrets.hmacHex('rate-limit-address', ctx.ip)}`;
    const { hits, retryAfterSeconds } = await this.rateLimit.hit(key, this.config.sharePublicRateWindowSeconds);
    if (hits > this.config.sharePublicRateLimit) {
      throw new AppError('rate_limited', 'too many shared-link requests from this address; try again later', retryAfterSeconds);
    }
    return tokenHash;
  }

  /** Reads only: previews and the page's first look use no view. */
  async state(tokenHash: string): Promise<PublicShareStateView> {
    const link = await this.links.findByTokenHash(tokenHash);
    if (!link) throw notFound();
    return publicShareStateView(link);
  }

  /** Consumes exactly one view (or none, with the reason) and returns the redacted transcript. */
  async view(tokenHash: string, ctx: RequestContext): Promise<Transcript> {
    const clientHash = await this.secrets.hmacHex('share-view-client', ctx.ip);
    const consumed = await this.links.consumeView(tokenHash, clientHash, ctx.userAgent ?? null);
    if (!consumed) throw await this.whyNot(tokenHash);
    return this.transcript(consumed);
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

  private async transcript(view: ConsumedView): Promise<Transcript> {
    const rows = await this.links.transcriptRows(view.session_id, MAX_TRANSCRIPT_EVENTS + 1);
    if (rows.length === 0) throw notFound();
    const first = rows[0];
    const events = rows.filter((r) => r.seq !== null);
    return {
      project: { name: first.project_name },
      session: { label: first.external_id, agent_id: first.session_agent_id, source: first.source, created_at: first.session_created_at.toISOString() },
      share: { expires_at: view.expires_at.toISOString(), max_views: view.max_views, view_count: view.view_count, remaining_views: remainingViews(view) },
      events: events.slice(0, MAX_TRANSCRIPT_EVENTS).map((e) => ({
        event_id: e.event_id,
        kind: e.kind,
        tool: e.tool,
        agent_id: e.agent_id,
        input: redact(e.input, first.redact_keys),
        created_at: e.created_at.toISOString(),
        verdict:
          e.decision !== null
            ? { decision: e.decision, reason: e.reason ?? '', source: e.verdict_source ?? '', created_at: e.verdict_at?.toISOString() ?? '' }
            : null,
        review: e.review_status !== null ? { status: e.review_status, decided_at: e.review_decided_at?.toISOString() ?? null } : null,
      })),
      truncated: events.length > MAX_TRANSCRIPT_EVENTS,
    };
  }
}

function notFound(): AppError {
  return new AppError('not_found', 'no share link has this token');
}
