import { Injectable, Logger } from '@nestjs/common';

export interface SessionRef {
  sessionId: string;
  projectId: string;
  externalId: string;
}

export interface ReviewCreated extends SessionRef {
  reviewId: string;
  eventId: string;
  /** What the review was recorded with: enough to announce it without reading it back. */
  review: NewReview;
}

/** An agent's cancel withdrew a pending review (committed). */
export interface ReviewWithdrawn extends SessionRef {
  reviewId: string;
  eventId: string;
}

export interface NewReview {
  eventRowId: string;
  kind: 'tool' | 'llm';
  tool: string | null;
  ruleReason: string | null;
  timeoutDecision: 'allow' | 'block';
  inputSha256: string;
  createdAt: Date;
  expiresAt: Date;
}

type Listener<T> = (value: T) => void | Promise<void>;

/**
 * What the agent gateway tells the rest of the product (the dashboard feed, webhooks), after the fact. Listeners
 * must not throw into the gateway and never hold up a verdict: they run after the verdict or pending frame is sent.
 */
@Injectable()
export class SessionHooks {
  private readonly logger = new Logger(SessionHooks.name);
  private readonly connected = new Set<Listener<SessionRef>>();
  private readonly disconnected = new Set<Listener<SessionRef>>();
  private readonly reviewCreated = new Set<Listener<ReviewCreated>>();
  private readonly reviewWithdrawn = new Set<Listener<ReviewWithdrawn>>();
  private readonly running = new Set<Promise<void>>();

  onConnected(listener: Listener<SessionRef>): void {
    this.connected.add(listener);
  }
  onDisconnected(listener: Listener<SessionRef>): void {
    this.disconnected.add(listener);
  }
  onReviewCreated(listener: Listener<ReviewCreated>): void {
    this.reviewCreated.add(listener);
  }
  onReviewWithdrawn(listener: Listener<ReviewWithdrawn>): void {
    this.reviewWithdrawn.add(listener);
  }

  emitConnected(ref: SessionRef): void {
    this.emit(this.connected, ref, 'session.connected');
  }
  emitDisconnected(ref: SessionRef): void {
    this.emit(this.disconnected, ref, 'session.disconnected');
  }
  emitReviewCreated(ref: ReviewCreated): void {
    this.emit(this.reviewCreated, ref, 'review.created');
  }
  emitReviewWithdrawn(ref: ReviewWithdrawn): void {
    this.emit(this.reviewWithdrawn, ref, 'review.withdrawn');
  }

  /** Waits for listeners still running, so shutdown does not close the database under them. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T, what: string): void {
    for (const listener of listeners) {
      const run: Promise<void> = Promise.resolve()
        .then(() => listener(value))
        .catch((err: Error) => this.logger.error(`${what} listener failed: ${err.message}`))
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }
}
