import { Inject, Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { BIGINT_ID, UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import {
  type CreateShareDto,
  type CreatedShareView,
  DEFAULT_EXPIRES_IN_SECONDS,
  type ShareLinkView,
  type ShareViewLogItem,
  shareLinkView,
  shareViewLogItem,
} from './dto/share.dto.js';
import { type ShareRow, ShareLinksRepository } from './share-links.repository.js';
import { newShareToken } from './share-token.js';

/**
 * Share links as dashboard users manage them. Who may do what:
 * - create: reviewers and admins (the controller's @Roles);
 * - list a session's links, read one link (state and counts, never the token): any signed-in user;
 * - revoke, read the view log: the link's creator or an admin.
 */
@Injectable()
export class ShareLinksService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly links: ShareLinksRepository,
    private readonly audit: AuditService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  /** The token is in this answer only: it is not stored, so it cannot be shown again. */
  async create(sessionId: string, input: CreateShareDto, user: UserPrincipal, requestId?: string): Promise<CreatedShareView> {
    const { token, tokenHash } = newShareToken();
    const expiresInSeconds = input.expires_in_seconds ?? DEFAULT_EXPIRES_IN_SECONDS;
    const maxViews = input.max_views ?? null;
    const row = await this.prisma.$transaction(async (tx) => {
      if (!(await this.links.sessionExists(sessionId, tx))) throw new AppError('not_found', 'session not found');
      const created = await this.links.insert(tx, { sessionId, createdById: user.userId, tokenHash, expiresInSeconds, maxViews });
      await this.audit.record(
        {
          actor: actorOf(user),
          action: 'share.create',
          target: { type: 'share_link', id: created.id },
          details: { session_id: sessionId, expires_at: created.expires_at.toISOString(), max_views: maxViews },
          requestId,
        },
        tx,
      );
      return created;
    });
    return {
      id: row.id,
      session_id: row.session_id,
      url: `${this.config.publicUrl}/s/${token}`,
      token,
      created_at: row.created_at.toISOString(),
      expires_at: row.expires_at.toISOString(),
      max_views: row.max_views,
    };
  }

  async listForSession(sessionId: string, cursor: string | undefined, limit = 50): Promise<Page<ShareLinkView>> {
    const after = decodeCursor(cursor, UUID_ID);
    if (!(await this.links.sessionExists(sessionId))) throw new AppError('not_found', 'session not found');
    const rows = await this.links.listBySession(sessionId, after, limit);
    return pageOf(rows, limit, (r) => ({ at: r.created_at, id: r.id }), shareLinkView);
  }

  async get(id: string): Promise<ShareLinkView> {
    return shareLinkView(await this.found(id));
  }

  /** Idempotent: revoking a revoked link changes nothing and records nothing. */
  async revoke(id: string, user: UserPrincipal, requestId?: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const link = await this.links.findById(id, tx);
      if (!link) throw new AppError('not_found', 'share link not found');
      this.mustOwn(link, user, 'revoke');
      const revoked = await this.links.revoke(tx, id, user.userId);
      if (!revoked) return;
      await this.audit.record(
        { actor: actorOf(user), action: 'share.revoke', target: { type: 'share_link', id }, details: { session_id: link.session_id }, requestId },
        tx,
      );
    });
  }

  async listViews(id: string, user: UserPrincipal, cursor: string | undefined, limit = 50): Promise<Page<ShareViewLogItem>> {
    const position = decodeCursor(cursor, BIGINT_ID);
    this.mustOwn(await this.found(id), user, 'see the views of');
    const rows = await this.links.listViews(id, position, limit);
    return pageOf(rows, limit, (r) => ({ at: r.at, id: r.id.toString() }), shareViewLogItem);
  }

  private async found(id: string): Promise<ShareRow> {
    const link = await this.links.findById(id);
    if (!link) throw new AppError('not_found', 'share link not found');
    return link;
  }

  private mustOwn(link: ShareRow, user: UserPrincipal, what: string): void {
    if (user.role !== 'admin' && link.created_by !== user.userId) {
      throw new AppError('forbidden', `only the link's creator or an admin may ${what} this share link`);
    }
  }
}
