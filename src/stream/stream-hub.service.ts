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

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly events: StreamEventsRepository,
    private readonly notify: PgNotifyService,
    private readonly migrations: MigrationStatusService,
  ) {}

  onApplicationBootstrap(): void {
    this.stop.push(
      this.notify.subscribe(streamAppendedChannel, () => this.pull()),
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
      const poll = setInterval(() => this.pull(), POLL_EVERY_MS);
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
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** The id of the last event this instance handed out: a new client without Last-Event-ID starts after it. */
  async position(): Promise<bigint> {
    return this.started ? this.lastId : this.events.latestId();
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
