import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { SqlTx } from '../infra/database/sql-transaction.js';
import type { Position } from '../infra/http/pagination.js';
import { type WebhookEventType, webhookDueChannel } from './webhook-events.js';

export interface WebhookRow {
  id: string;
  project_id: string;
  url: string;
  events: string[];
  created_at: Date;
  disabled_at: Date | null;
}

/** A delivery this instance claimed, with what it needs to make the call. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_key: string;
  event_type: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
  url: string;
  secret_enc: string;
}

type Sql = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

/** A given-up delivery is parked this far in the future: kept for inspection, never claimed again. */
const PARKED = '100 years';

/** Every statement on webhooks and webhook_deliveries (the delivery queue). */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  async projectExists(projectId: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`SELECT 1 FROM projects WHERE id = ${projectId}::uuid`;
    return rows.length > 0;
  }

  async insert(tx: Sql, w: { id: string; projectId: string; url: string; events: string[]; secretEnc: string }): Promise<WebhookRow> {
    const rows = await tx.$queryRaw<WebhookRow[]>`
      INSERT INTO webhooks (id, project_id, url, events, secret_enc)
      VALUES (${w.id}::uuid, ${w.projectId}::uuid, ${w.url}, ${w.events}::text[], ${w.secretEnc})
      RETURNING id, project_id::text AS project_id, url, events, created_at, disabled_at`;
    return rows[0];
  }

  /** Webhooks' sealed secrets in id order after `afterId`, a page at a time (for re-sealing them under a new key). */
  async sealedSecrets(afterId: string | undefined, limit: number): Promise<{ id: string; secret_enc: string }[]> {
    return this.prisma.$queryRaw<{ id: string; secret_enc: string }[]>`
      SELECT id::text AS id, secret_enc FROM webhooks
       WHERE ${afterId ?? null}::uuid IS NULL OR id > ${afterId ?? null}::uuid
       ORDER BY id LIMIT ${limit}::int`;
  }

  /** Replaces a sealed secret only if it is still `previous`: of instances re-sealing at once, one write stands. */
  async replaceSealedSecret(id: string, previous: string, next: string): Promise<boolean> {
    const count = await this.prisma.$executeRaw`UPDATE webhooks SET secret_enc = ${next} WHERE id = ${id}::uuid AND secret_enc = ${previous}`;
    return count > 0;
  }

  /** Newest first, `limit + 1` rows (see pageOf). */
  async list(projectId: string, after: Position | undefined, limit: number): Promise<WebhookRow[]> {
    return this.prisma.$queryRaw<WebhookRow[]>`
      SELECT id, project_id::text AS project_id, url, events, created_at, disabled_at FROM webhooks
       WHERE project_id = ${projectId}::uuid
         AND (${after?.at ?? null}::timestamptz IS NULL OR (created_at, id) < (${after?.at ?? null}::timestamptz, ${after?.id ?? null}::uuid))
       ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}::int`;
  }

  async delete(tx: Sql, projectId: string, id: string): Promise<WebhookRow | undefined> {
    const rows = await tx.$queryRaw<WebhookRow[]>`
      DELETE FROM webhooks WHERE id = ${id}::uuid AND project_id = ${projectId}::uuid
      RETURNING id, project_id::text AS project_id, url, events, created_at, disabled_at`;
    return rows[0];
  }

  /**
   * Queues one delivery of `eventKey` to each of the project's active webhooks subscribed to `type`, inside the
   * transaction of the change it reports. The (webhook, event_key) unique index makes queuing the same event twice a
   * no-op. Wakes the dispatchers on commit when anything was queued.
   */
  async enqueue(tx: SqlTx, projectId: string, type: WebhookEventType, eventKey: string, payload: Record<string, unknown>): Promise<number> {
    const [row] = await tx.query<{ queued: number }>(
      `WITH queued AS (
         INSERT INTO webhook_deliveries (id, webhook_id, event_key, event_type, payload)
         SELECT gen_random_uuid(), w.id, $2, $3, $4::jsonb
           FROM webhooks w
          WHERE w.project_id = $1::uuid AND w.disabled_at IS NULL AND $3 = ANY(w.events)
         ON CONFLICT (webhook_id, event_key) DO NOTHING
         RETURNING 1
       ), woken AS (
         SELECT pg_notify($5, '{}') FROM queued LIMIT 1
       )
       SELECT (SELECT count(*)::int FROM queued) AS queued, (SELECT count(*) FROM woken) AS woken`,
      [projectId, eventKey, type, JSON.stringify(payload), webhookDueChannel.name],
      'arbiter_webhook_enqueue',
    );
    return row.queued;
  }

  /**
   * Claims up to `limit` due deliveries for `leaseSeconds`: ONE statement. SKIP LOCKED hands each row to one claimer
   * only, and the lease (locked_until) keeps every other instance off it until the call has finished or timed out.
   * A claimer that dies leaves the lease to run out; the row is then claimed again.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    return this.prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE webhook_deliveries d
         SET locked_until = now() + make_interval(secs => ${leaseSeconds}::int), attempts = d.attempts + 1
        FROM webhooks w
       WHERE d.id IN (
               SELECT id FROM webhook_deliveries
                WHERE delivered_at IS NULL AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
                ORDER BY next_attempt_at
                LIMIT ${limit}::int
                FOR UPDATE SKIP LOCKED)
         AND d.delivered_at IS NULL
         AND w.id = d.webhook_id AND w.disabled_at IS NULL
      RETURNING d.id, d.webhook_id, d.event_key, d.event_type, d.payload, d.attempts, d.created_at, w.url, w.secret_enc`;
  }

  async markDelivered(id: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE webhook_deliveries SET delivered_at = now(), locked_until = NULL, last_error = NULL
       WHERE id = ${id}::uuid AND delivered_at IS NULL`;
  }

  /** Records a failed attempt: retry after `retryInMs`, or park the delivery for good when `giveUp`. */
  async markFailed(id: string, attempt: number, error: string, retryInMs: number, giveUp: boolean): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE webhook_deliveries
         SET locked_until = NULL, last_error = ${error.slice(0, 1000)},
             next_attempt_at = CASE WHEN ${giveUp}::boolean THEN now() + ${PARKED}::interval
                                    ELSE now() + make_interval(secs => ${retryInMs / 1000}::double precision) END
       WHERE id = ${id}::uuid AND delivered_at IS NULL AND attempts = ${attempt}::int`;
  }

  /** Forgets deliveries that finished (delivered or given up) more than `days` ago. */
  async pruneFinished(days: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM webhook_deliveries
       WHERE (delivered_at < now() - make_interval(days => ${days}::int))
          OR (delivered_at IS NULL AND next_attempt_at > now() + interval '50 years' AND created_at < now() - make_interval(days => ${days}::int))`;
  }
}
