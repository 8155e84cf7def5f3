/** What the budget does to a connection's reading: pause its socket, or read it again. */
export interface ReadControl<C> {
  pause(conn: C): void;
  resume(conn: C): void;
}

/**
 * Bytes of received frames waiting to be handled, per connection and for the whole instance, with backpressure: a
 * connection that brings its own backlog to `perConnection` stops being read (TCP flow control then holds the client
 * back) instead of being queued for; so does one that brings the instance's to `perInstance` while it has other
 * frames waiting. A connection with nothing else waiting (an agent awaiting each verdict before its next event) is
 * not held back for the others' sake, so the instance's bound may be passed by one frame per such connection. Frames
 * already read when a socket is paused are still counted: a connection may pass its bound by what one read brings. A
 * paused connection is read again once its own backlog is down to half its bound and the instance's below half its
 * own: the halves keep a flooding client from being paused and resumed at every frame.
 */
export class InboundBudget<C> {
  private readonly held = new Map<C, number>();
  private readonly paused = new Set<C>();
  /** Held from outside (TenantThrottle): not read whatever its backlog. The socket is read when neither holds it. */
  private readonly throttled = new Set<C>();
  private total = 0;
  private peak = 0;

  constructor(
    private readonly perConnection: number,
    private readonly perInstance: number,
    private readonly control: ReadControl<C>,
  ) {}

  /** A frame of `bytes` arrived on `conn` and waits to be handled. */
  take(conn: C, bytes: number): void {
    const own = (this.held.get(conn) ?? 0) + bytes;
    this.held.set(conn, own);
    this.total += bytes;
    if (this.total > this.peak) this.peak = this.total;
    const ahead = own >= this.perConnection || (this.total >= this.perInstance && own > bytes);
    if (ahead && !this.paused.has(conn)) {
      if (!this.throttled.has(conn)) this.control.pause(conn);
      this.paused.add(conn);
    }
  }

  /** A frame of `bytes` taken on `conn` was handled (nothing, if the connection was forgotten meanwhile). */
  give(conn: C, bytes: number): void {
    const current = this.held.get(conn);
    if (current === undefined) return;
    const own = current - bytes;
    if (own > 0) this.held.set(conn, own);
    else this.held.delete(conn);
    this.release(bytes);
    if (this.paused.has(conn) && this.readable(conn)) this.unpause(conn);
  }

  /** Stops reading `conn` for a reason other than its backlog (its tenant is over its rates), until `unthrottle`. */
  throttle(conn: C): void {
    if (this.throttled.has(conn)) return;
    if (!this.paused.has(conn)) this.control.pause(conn);
    this.throttled.add(conn);
  }

  unthrottle(conn: C): void {
    if (!this.throttled.delete(conn)) return;
    if (!this.paused.has(conn)) this.control.resume(conn);
  }

  /** The connection is gone: what it still had waiting is dropped with it. */
  forget(conn: C): void {
    const own = this.held.get(conn) ?? 0;
    this.held.delete(conn);
    this.paused.delete(conn);
    this.throttled.delete(conn);
    this.release(own);
  }

  /** Not being read, for its backlog or its tenant's rates. */
  isPaused(conn: C): boolean {
    return this.paused.has(conn) || this.throttled.has(conn);
  }

  /** Bytes waiting on this instance now. */
  get bytes(): number {
    return this.total;
  }

  /** The most bytes that have waited at once since the start. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Connections not read for their backlog or the instance's. */
  get pausedCount(): number {
    return this.paused.size;
  }

  /** Connections not read because their tenant is over its rates. */
  get throttledCount(): number {
    return this.throttled.size;
  }

  private unpause(conn: C): void {
    this.paused.delete(conn);
    if (!this.throttled.has(conn)) this.control.resume(conn);
  }

  private readable(conn: C): boolean {
    return (this.held.get(conn) ?? 0) <= this.perConnection / 2 && this.total < this.perInstance / 2;
  }

  private release(bytes: number): void {
    const before = this.total;
    this.total -= bytes;
    // Crossing under the instance's half: connections paused for the instance's sake (their own backlog small) resume.
    // Only at the crossing, so handling a frame costs O(1), not a walk over every paused connection.
    if (before >= this.perInstance / 2 && this.total < this.perInstance / 2) {
      for (const conn of [...this.paused]) {
        if (this.readable(conn)) this.unpause(conn);
      }
    }
  }
}
