import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type SessionRef, SessionHooks } from '../sessions/session-hooks.service.js';
import type { NewStreamEvent, StreamEventType } from './stream-event.js';
import { StreamEventsRepository } from './stream-events.repository.js';

/** Connects and disconnects are gathered this long and logged in one transaction. */
const BATCH_MS = 100;
const BATCH_MAX = 500;

/**
 * Puts agent sessions connecting and disconnecting (on this instance) on the dashboard feed. They are batched: a
 * reconnect storm of thousands of agents must cost a handful of feed transactions, not one each (every append
 * serialises on the feed's ordering lock).
 */
@Injectable()
export class SessionFeedListener implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionFeedListener.name);
  private queued: NewStreamEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly hooks: SessionHooks,
    private readonly events: StreamEventsRepository,
  ) {}

  onModuleInit(): void {
    this.hooks.onConnected((ref) => this.enqueue('session.connected', ref));
    this.hooks.onDisconnected((ref) => this.enqueue('session.disconnected', ref));
  }

  /**
   * Sockets closed at shutdown (the gateway's onModuleDestroy) report their disconnects late; log them before the
   * pool closes (onApplicationShutdown).
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private enqueue(type: StreamEventType, ref: SessionRef): void {
    this.queued.push({ projectId: ref.projectId, type, payload: { session_id: ref.sessionId, external_id: ref.externalId } });
    if (this.queued.length >= BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued.splice(0);
    if (batch.length > 0) {
      this.flushing = this.flushing.then(async () => {
        try {
          await this.events.publish(batch);
        } catch (err) {
          // The feed is for people watching; a missed session event must never disturb the agents' connections.
          this.logger.warn(`${batch.length} session feed events were not logged: ${(err as Error).message}`);
        }
      });
    }
    return this.flushing;
  }
}
