import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type SessionRef, SessionHooks } from '../sessions/session-hooks.service.js';
import type { StreamEventType } from './stream-event.js';
import { StreamEventsRepository } from './stream-events.repository.js';

/** Puts agent sessions connecting and disconnecting (on this instance) on the dashboard feed. */
@Injectable()
export class SessionFeedListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SessionFeedListener.name);
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly hooks: SessionHooks,
    private readonly events: StreamEventsRepository,
  ) {}

  onModuleInit(): void {
    this.hooks.onConnected((ref) => this.track(this.publish('session.connected', ref)));
    this.hooks.onDisconnected((ref) => this.track(this.publish('session.disconnected', ref)));
  }

  /**
   * Sockets closing at shutdown report their disconnects late; let those writes finish before the pool closes
   * (the database module shuts down after every feature module).
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async publish(type: StreamEventType, ref: SessionRef): Promise<void> {
    try {
      await this.events.publish([{ projectId: ref.projectId, type, payload: { session_id: ref.sessionId, external_id: ref.externalId } }]);
    } catch (err) {
      // The feed is for people watching; a missed session event must never disturb the agent's connection.
      this.logger.warn(`${type} for session ${ref.sessionId} was not logged: ${(err as Error).message}`);
    }
  }
}
