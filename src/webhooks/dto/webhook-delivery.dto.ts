import { ApiProperty } from '@nestjs/swagger';
import type { DeliveryRow } from '../webhook-deliveries.repository.js';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One entry of a webhook's delivery log. */
export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid', description: 'Also the X-Arbiter-Delivery header and the body\'s `id`' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  webhook_id!: string;
  @ApiProperty({ example: 'review.created', description: 'The event type (`webhook.test` for a test event)' })
  event_type!: string;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description: 'pending: not tried yet, or its first attempt under way; retrying: an attempt failed (last_error), tried again at next_attempt_at; delivered: a 2xx came back; failed: given up after the last attempt',
  })
  status!: DeliveryStatus;
  @ApiProperty({ description: 'Calls made so far' })
  attempts!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When it is (re)tried; null once delivered or given up' })
  next_attempt_at!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  delivered_at!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  last_error!: string | null;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
}

export class WebhookDeliveryPage {
  @ApiProperty({ type: [WebhookDeliveryView] })
  items!: WebhookDeliveryView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export function webhookDeliveryView(row: DeliveryRow): WebhookDeliveryView {
  // An attempt under way has raised `attempts` but recorded no error yet: still pending until it fails.
  const status: DeliveryStatus = row.delivered_at ? 'delivered' : row.given_up ? 'failed' : row.last_error !== null ? 'retrying' : 'pending';
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_type: row.event_type,
    status,
    attempts: row.attempts,
    next_attempt_at: status === 'pending' || status === 'retrying' ? row.next_attempt_at.toISOString() : null,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
  };
}
