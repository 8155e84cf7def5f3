import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PgNotifyService } from '../infra/notify/pg-notify.service.js';
import { forbiddenAddressReason, guardedLookup } from './address-policy.js';
import { retryDelayMs } from './retry-backoff.js';
import { webhookDueChannel } from './webhook-events.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './webhook-signature.js';
import { WebhookSecretBox } from './webhook-secret-box.service.js';
import { WebhookSecretRotation } from './webhook-secret-rotation.service.js';
import { type ClaimedDelivery, WebhooksRepository } from './webhooks.repository.js';

/** Calls in flight per instance; a slow receiver holds one slot until its timeout, never the whole queue. */
const MAX_IN_FLIGHT = 10;
const POLL_EVERY_MS = 1000;
const PRUNE_EVERY_MS = 3600_000;
const KEEP_FINISHED_DAYS = 7;

/**
 * Works the webhook delivery queue on every instance: claims due rows (SKIP LOCKED plus a lease, see
 * WebhooksRepository.claimDue), calls each URL once per claim, records success or schedules a retry. It runs apart
 * from every decision: queuing is a row insert in the decision's transaction, and the calls happen here, later.
 *
 * Delivery is at least once (a call can succeed just before its instance dies unrecorded); a recorded success is
 * never followed by another call. X-Arbiter-Delivery stays the same across attempts so receivers can de-duplicate.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private readonly inFlight = new Set<Promise<void>>();
  private pruning: Promise<unknown> | undefined;
  private stopped = false;
  private readonly leaseSeconds: number;

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly repo: WebhooksRepository,
    private readonly box: WebhookSecretBox,
    private readonly rotation: WebhookSecretRotation,
    private readonly notify: PgNotifyService,
    private readonly migrations: MigrationStatusService,
  ) {
    // Longer than any call can take (the timeout aborts it), so a live claimer never loses its row to another.
    this.leaseSeconds = Math.ceil((config.webhookTimeoutMs * 2) / 1000) + 5;
  }

  onApplicationBootstrap(): void {
    void this.migrations.whenCurrent().then(() => {
      if (this.stopped) return;
      this.unsubscribe = this.notify.subscribe(webhookDueChannel, () => this.kick());
      const poll = setInterval(() => this.kick(), POLL_EVERY_MS);
      const prune = setInterval(() => this.prune(), PRUNE_EVERY_MS);
      poll.unref();
      prune.unref();
      this.timers.push(poll, prune);
      this.kick();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const timer of this.timers) clearInterval(timer);
    // Calls in flight finish (bounded by the webhook timeout); anything unclaimed waits for another instance.
    await Promise.all([this.claiming, this.pruning]);
    await Promise.all(this.inFlight);
  }

  /** Claims work for the free call slots now; concurrent kicks coalesce into one more claim. */
  kick(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claim()
      .catch((err: Error) => this.logger.warn(`claiming webhook deliveries failed: ${err.message}`))
      .finally(() => {
        this.claiming = undefined;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.kick();
        }
      });
  }

  private async claim(): Promise<void> {
    while (!this.stopped && this.inFlight.size < MAX_IN_FLIGHT) {
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      const claimed = await this.repo.claimDue(free, this.leaseSeconds);
      for (const delivery of claimed) {
        const call: Promise<void> = this.attempt(delivery).finally(() => {
          this.inFlight.delete(call);
          // A slot came free: there may be more waiting.
          this.kick();
        });
        this.inFlight.add(call);
      }
      if (claimed.length < free) return;
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    let problem: string | undefined;
    try {
      const status = await this.call(delivery);
      if (status >= 200 && status < 300) {
        await this.repo
          .markDelivered(delivery.id)
          .catch((err: Error) => this.logger.warn(`recording a delivered webhook failed: ${err.message}; its lease runs out and it is sent again`));
        return;
      }
      problem = `answered HTTP ${status}`;
    } catch (err) {
      problem = (err as Error).message || String(err);
    }
    const giveUp = delivery.attempts >= this.config.webhookMaxAttempts;
    const delay = retryDelayMs(delivery.attempts, this.config.webhookRetryBaseMs);
    const error = giveUp ? `gave up after ${delivery.attempts} attempts: ${problem}` : problem;
    this.logger.warn(`webhook ${delivery.webhook_id} ${delivery.event_type} attempt ${delivery.attempts}: ${problem}${giveUp ? ' (giving up)' : ''}`);
    await this.repo
      .markFailed(delivery.id, delivery.attempts, error, delay, giveUp)
      .catch((err: Error) => this.logger.warn(`recording a failed webhook attempt failed: ${err.message}; its lease runs out and it is retried`));
  }

  /** One POST; resolves with the status code. No redirects are followed. */
  private async call(delivery: ClaimedDelivery): Promise<number> {
    const url = new URL(delivery.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.config.webhookAllowPrivate && isIP(host)) {
      const why = forbiddenAddressReason(host);
      if (why) throw new Error(`${host} is a ${why} address`);
    }
    const { secret, stale } = await this.box.openWithAge(delivery.webhook_id, delivery.secret_enc);
    if (stale) {
      // Sealed under a replaced server secret (by an instance not yet restarted with the new one): re-seal it now.
      void this.rotation.resealIfStale(delivery.webhook_id, delivery.secret_enc).catch((err: Error) => this.logger.warn(`re-sealing webhook ${delivery.webhook_id}'s secret failed: ${err.message}`));
    }
    const body = JSON.stringify({ id: delivery.id, type: delivery.event_type, created_at: new Date(delivery.created_at).toISOString(), data: delivery.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Arbiter-Webhooks/1',
      'x-arbiter-event': delivery.event_type,
      'x-arbiter-delivery': delivery.id,
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
    };
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<number>((resolve, reject) => {
      const req = send(url, { method: 'POST', headers, agent: false, lookup: this.config.webhookAllowPrivate ? undefined : guardedLookup }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.config.webhookTimeoutMs} ms`)), this.config.webhookTimeoutMs);
      req.on('error', reject);
      req.on('close', () => clearTimeout(timer));
      req.end(body);
    });
  }

  private prune(): void {
    if (this.stopped || this.pruning) return;
    this.pruning = this.repo
      .pruneFinished(KEEP_FINISHED_DAYS)
      .catch((err: Error) => this.logger.warn(`pruning webhook deliveries failed: ${err.message}`))
      .finally(() => (this.pruning = undefined));
  }
}
