import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { Position } from '../infra/http/pagination.js';
import { webhookDueChannel } from './webhook-events.js';

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_type: string;
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  last_error: string | null;
  created_at: Date;
  /** Parked for good by WebhooksRepository.markFailed (next_attempt_at a century ahead). */
  given_up: boolean;
}

const DELIVERY_COLUMNS = `id::text AS id, webhook_id::text AS webhook_id, event_type, attempts, next_attempt_at, delivered_at, last_error, created_at,
  (delivered_at IS NULL AND next_attempt_at > now() + interval '50 years') AS given_up`;

/** The delivery log of one webhook, and test events queued onto the same outbox as real ones. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Newest first, `limit + 1` rows (see pageOf); none when the webhook is not the project's. */
  async list(projectId: string, webhookId: string, after: Position | undefined, limit: number): Promise<DeliveryRow[]> {
    return this.prisma.pool
      .query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
          WHERE d.webhook_id = $1::uuid AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = $1::uuid AND w.project_id = $2::uuid)
            AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4::uuid))
          ORDER BY d.created_at DESC, d.id DESC LIMIT $5::int`,
        [webhookId, projectId, after?.at ?? null, after?.id ?? null, limit + 1],
      )
      .then((r) => r.rows);
  }

  /** True when the webhook exists and belongs to the project. */
  async webhookOf(projectId: string, webhookId: string): Promise<boolean> {
    const { rows } = await this.prisma.pool.query('SELECT 1 FROM webhooks WHERE id = $1::uuid AND project_id = $2::uuid', [webhookId, projectId]);
    return rows.length > 0;
  }

  /**
   * Queues a `webhook.test` delivery to this webhook only, ONE statement: the row goes into the same outbox the
   * dispatcher works (so it is signed, retried and logged like any event) and the dispatchers are woken as for any
   * other queued delivery. Nothing is queued (undefined) when the webhook is not the project's.
   */
  async enqueueTest(projectId: string, webhookId: string, payload: Record<string, unknown>): Promise<DeliveryRow | undefined> {
    const { rows } = await this.prisma.pool.query<DeliveryRow>(
      `WITH queued AS (
         INSERT INTO webhook_deliveries (id, webhook_id, event_key, event_type, payload)
         SELECT fresh.id, w.id, 'webhook.test:' || fresh.id::text, 'webhook.test', $3::jsonb
           FROM webhooks w, (SELECT gen_random_uuid() AS id) fresh
          WHERE w.id = $1::uuid AND w.project_id = $2::uuid
         RETURNING *
       ), woken AS (
         SELECT pg_notify($4, '{}') FROM queued
       )
       SELECT ${DELIVERY_COLUMNS}, (SELECT count(*) FROM woken) AS woken FROM queued`,
      [webhookId, projectId, JSON.stringify(payload), webhookDueChannel.name],
    );
    return rows[0];
  }
}
