import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AuditActor, AuditService } from '../audit/audit.service.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { randomToken } from '../infra/crypto/tokens.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import { refuseUrlReason } from './address-policy.js';
import { type CreateWebhookDto, type CreatedWebhookView, type WebhookView, webhookView } from './dto/webhook.dto.js';
import { WebhookSecretBox } from './webhook-secret-box.service.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** A project's webhooks: created and removed by admins, audited; secrets sealed at rest and never shown again. */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly prisma: PrismaService,
    private readonly repo: WebhooksRepository,
    private readonly box: WebhookSecretBox,
    private readonly audit: AuditService,
  ) {}

  async create(projectId: string, input: CreateWebhookDto, actor: AuditActor, requestId?: string): Promise<CreatedWebhookView> {
    if (!(await this.repo.projectExists(projectId))) throw new AppError('not_found', 'project not found');
    const url = this.parseUrl(input.url);
    if (!this.config.webhookAllowPrivate) {
      const refused = await refuseUrlReason(url);
      if (refused) throw new AppError('validation_failed', `url: ${refused}; webhooks may not call loopback, link-local or private addresses`);
    }
    const generated = input.secret === undefined ? `whsec_${randomToken(32)}` : undefined;
    const id = randomUUID();
    const secretEnc = await this.box.seal(id, input.secret ?? generated!);
    const row = await this.prisma.$transaction(async (tx) => {
      const inserted = await this.repo.insert(tx, { id, projectId, url: url.toString(), events: input.events, secretEnc });
      await this.audit.record(
        { actor, action: 'webhook.create', target: { type: 'webhook', id }, details: { project_id: projectId, url: inserted.url, events: input.events }, requestId },
        tx,
      );
      return inserted;
    });
    return generated ? { ...webhookView(row), secret: generated } : webhookView(row);
  }

  async list(projectId: string, cursor: string | undefined, limit = 50): Promise<Page<WebhookView>> {
    if (!(await this.repo.projectExists(projectId))) throw new AppError('not_found', 'project not found');
    const rows = await this.repo.list(projectId, decodeCursor(cursor, UUID_ID), limit);
    return pageOf(rows, limit, (w) => ({ at: w.created_at, id: w.id }), webhookView);
  }

  /** Removes the webhook and its queued deliveries. */
  async remove(projectId: string, id: string, actor: AuditActor, requestId?: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const row = await this.repo.delete(tx, projectId, id);
      if (!row) throw new AppError('not_found', 'webhook not found');
      await this.audit.record({ actor, action: 'webhook.delete', target: { type: 'webhook', id }, details: { project_id: projectId, url: row.url }, requestId }, tx);
    });
  }

  private parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AppError('validation_failed', 'url: must be an http:// or https:// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('validation_failed', 'url: must be an http:// or https:// URL');
    if (url.username || url.password) throw new AppError('validation_failed', 'url: must not carry a user name or password; sign with the secret instead');
    if (!url.hostname) throw new AppError('validation_failed', 'url: must name a host');
    return url;
  }
}
