import { Module } from '@nestjs/common';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository.js';
import { WebhookDeliveriesService } from './webhook-deliveries.service.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookSecretBox } from './webhook-secret-box.service.js';
import { WebhookSecretRotation } from './webhook-secret-rotation.service.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';

/** Project webhooks and their Postgres-backed delivery queue. Other features queue deliveries with WebhooksRepository.enqueue. */
@Module({
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhooksService, WebhookDeliveriesRepository, WebhookDeliveriesService, WebhookSecretBox, WebhookSecretRotation, WebhookDispatcher],
  exports: [WebhooksRepository],
})
export class WebhooksModule {}
