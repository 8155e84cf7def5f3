import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PgNotifyService } from '../infra/notify/pg-notify.service.js';
import { type StreamEventRow, streamAppendedChannel } from './stream-event.js';
import { StreamEventsRepository } from './stream-events.repository.js';

/** One SSE client on this instance. */
export interface StreamSubscriber {
  deliver(row: StreamEventRow): void;
  end(): void;
}

const PAGE = 500;
/** NOTIFY is not stored; this catches anything a lost notification would have announced. */
const POLL_EVERY_MS = 2000;
const PRUNE_EVERY_MS = 60_000;

/**
 * This instance's fan-out of the event log to its SSE clients. Whichever instance appends an event NOTIFYs; every
 * instance then reads the rows after the last one it read, in id order (which is commit order, see
 * StreamEventsRepository.append), and hands each to its clients.
 *
 * An instance without clients reads nothing on a notification (appends come with every review; reading them for
 * nobody cost every instance a query per append) and only moves its position to the log's end on the poll, so a
 * first client is handed at most a poll's worth of rows it then skips (SseConnection drops rows it has passed).
 */
@Injectable()
export class StreamHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(StreamHub.name);
  private readonly subscribers = new Set<StreamSubscriber>();
  private readonly stop: Array<() => void> = [];
  private lastId = 0n;
  private started = false;
  private stopped = false;
  private pulling: Promise<void> | undefined;
  private pullAgain = false;
  private pruning: Promise<unknown> | undefined;
  /** Counts subscriptions, so an idle position read that raced a new client is not applied. */
  private subscriptions = 0;

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly events: StreamEventsRepository,
    private readonly notify: PgNotifyService,
    private readonly migrations: MigrationStatusService,
  ) {}

  onApplicationBootstrap(): void {
    this.stop.push(
      this.notify.subscribe(streamAppendedChannel, () => {
        if (this.subscribers.size > 0) this.pull();
      }),
      this.notify.onReconnect(() => this.pull()),
    );
    void this.migrations.whenCurrent().then(async () => {
      if (this.stopped) return;
      try {
        this.lastId = await this.events.latestId();
      } catch (err) {
        this.logger.warn(`reading the event log position failed: ${(err as Error).message}`);
      }
      this.started = true;
      const poll = setInterval(() => (this.subscribers.size > 0 ? this.pull() : this.followIdle()), POLL_EVERY_MS);
      const prune = setInterval(() => this.prune(), PRUNE_EVERY_MS);
      poll.unref();
      prune.unref();
      this.stop.push(
        () => clearInterval(poll),
        () => clearInterval(prune),
      );
      this.prune();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stop.splice(0)) stop();
    // Open event streams would keep the HTTP server from closing; clients resume elsewhere with Last-Event-ID.
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
    await Promise.all([this.pulling, this.pruning]);
  }

  /** Starts handing new events to `subscriber`; returns the unsubscribe function. */
  subscribe(subscriber: StreamSubscriber): () => void {
    if (this.stopped) {
      subscriber.end();
      return () => undefined;
    }
    this.subscriptions++;
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** The id of the last event this instance handed out: a new client without Last-Event-ID starts after it. */
  async position(): Promise<bigint> {
    // Without clients the position trails the log by up to a poll; a new client starts at the log's end.
    return this.started && this.subscribers.size > 0 ? this.lastId : this.events.latestId();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Reads what is new; concurrent calls coalesce into one more read after the current one. */
  private pull(): void {
    if (!this.started || this.stopped) return;
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = this.readNew()
      .catch((err: Error) => this.logger.warn(`reading the event log failed: ${err.message}`))
      .finally(() => {
        this.pulling = undefined;
        if (this.pullAgain) {
          this.pullAgain = false;
          this.pull();
        }
      });
  }

  /** Without clients: moves the position to the log's end (one index-only read), unless a client arrived meanwhile. */
  private followIdle(): void {
    if (!this.started || this.stopped || this.pulling) return;
    const generation = this.subscriptions;
    this.pulling = this.events
      .latestId()
      .then((latest) => {
        if (this.subscriptions === generation && this.subscribers.size === 0 && latest > this.lastId) this.lastId = latest;
      })
      .catch((err: Error) => this.logger.warn(`reading the event log position failed: ${err.message}`))
      .finally(() => {
        this.pulling = undefined;
        if (this.pullAgain) {
          this.pullAgain = false;
          this.pull();
        }
      });
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const rows = await this.events.after(this.lastId, PAGE);
      for (const row of rows) {
        this.lastId = BigInt(row.id);
        for (const subscriber of this.subscribers) {
          try {
            subscriber.deliver(row);
          } catch (err) {
            this.logger.warn(`stream client failed: ${(err as Error).message}`);
          }
        }
      }
      if (rows.length < PAGE || this.stopped) return;
    }
  }

  private prune(): void {
    if (this.stopped || this.pruning) return;
    this.pruning = this.events
      .prune(this.config.streamRetentionSeconds)
      .catch((err: Error) => this.logger.warn(`pruning the event log failed: ${err.message}`))
      .finally(() => (this.pruning = undefined));
  }
}
