import { Injectable } from '@nestjs/common';
import { type AuditActor, AuditService } from '../audit/audit.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import { type WebhookDeliveryView, webhookDeliveryView } from './dto/webhook-delivery.dto.js';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository.js';

/** A webhook's delivery log, and test events an admin sends to check a receiver. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly repo: WebhookDeliveriesRepository,
    private readonly audit: AuditService,
  ) {}

  async list(projectId: string, webhookId: string, cursor: string | undefined, limit = 50): Promise<Page<WebhookDeliveryView>> {
    const position = decodeCursor(cursor, UUID_ID);
    if (!(await this.repo.webhookOf(projectId, webhookId))) throw new AppError('not_found', 'webhook not found');
    const rows = await this.repo.list(projectId, webhookId, position, limit);
    return pageOf(rows, limit, (d) => ({ at: d.created_at, id: d.id }), webhookDeliveryView);
  }

  /** Queues a `webhook.test` event for this webhook: delivered, signed and retried exactly as real events are. */
  async sendTest(projectId: string, webhookId: string, actor: AuditActor, requestId?: string): Promise<WebhookDeliveryView> {
    const payload = { webhook_id: webhookId, project_id: projectId, message: 'A test event from Arbiter: this webhook is reachable and its signature can be checked.' };
    const row = await this.repo.enqueueTest(projectId, webhookId, payload);
    if (!row) throw new AppError('not_found', 'webhook not found');
    // After the queueing statement, not in its transaction: a test event changes nothing worth rolling back.
    await this.audit.record({ actor, action: 'webhook.test', target: { type: 'webhook', id: webhookId }, details: { project_id: projectId, delivery_id: row.id }, requestId });
    return webhookDeliveryView(row);
  }
}
