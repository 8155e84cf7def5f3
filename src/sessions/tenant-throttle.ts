import { performance } from 'node:perf_hooks';

/** What the throttle does to a tenant's connections: stop reading them, or read them again. */
export interface ThrottleControl<C> {
  hold(conn: C): void;
  release(conn: C): void;
}

export interface TenantRates {
  /** Bytes of frames received per second, and as much again in a burst. */
  bytesPerSecond: number;
  /** Milliseconds of main-thread work on the tenant's frames per second, and as much again in a burst. */
  cpuMsPerSecond: number;
}

interface Tenant<C> {
  readonly conns: Set<C>;
  bytes: number;
  cpuMs: number;
  /** performance.now() of the last refill. */
  at: number;
  /** Set while the tenant's connections are held: fires when its buckets are back to zero. */
  timer?: NodeJS.Timeout;
  /** Frames already read that wait for the tenant to be released (see `opened`). */
  waiters: (() => void)[];
}

/**
 * Two token buckets per tenant (an API key's project): bytes received and main-thread milliseconds spent on its
 * frames, each refilled at its rate per second and holding at most one second's worth. Work is charged after it is
 * done (its cost is only known then); a tenant whose bucket goes below zero has all its connections on this instance
 * held (not read, so TCP holds its clients back) until both buckets are back to zero. Nothing is dropped or refused:
 * a burst only slows down, and frames already read while held are still handled (and charged). Per tenant, not per
 * connection: one key may open any number of sessions.
 */
export class TenantThrottle<C> {
  private readonly tenants = new Map<string, Tenant<C>>();
  /** Times a tenant went over its rates (its connections were held). */
  throttles = 0;

  constructor(
    private readonly rates: TenantRates,
    private readonly control: ThrottleControl<C>,
    /** Called each time a tenant is throttled. */
    private readonly onThrottle: (tenant: string) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `conn` now belongs to `tenant`: charged to it, and held with it. */
  join(tenant: string, conn: C): void {
    const t = this.tenant(tenant);
    t.conns.add(conn);
    if (t.timer) this.control.hold(conn);
  }

  /** `conn` is gone (whatever held it on the reading side forgets it itself). */
  leave(tenant: string, conn: C): void {
    const t = this.tenants.get(tenant);
    if (!t) return;
    t.conns.delete(conn);
    this.dropIfIdle(tenant, t);
  }

  /** `tenant` received `bytes` and/or spent `cpuMs` of the main thread; holds its connections if that is too much. */
  charge(tenant: string, bytes: number, cpuMs: number): void {
    const t = this.tenants.get(tenant);
    if (!t) return;
    this.refill(t);
    t.bytes -= bytes;
    t.cpuMs -= cpuMs;
    if (t.timer || (t.bytes >= 0 && t.cpuMs >= 0)) return;
    this.throttles++;
    this.onThrottle(tenant);
    for (const conn of t.conns) this.control.hold(conn);
    this.schedule(tenant, t);
  }

  isThrottled(tenant: string): boolean {
    return this.tenants.get(tenant)?.timer !== undefined;
  }

  /**
   * While `tenant` is held: a promise that resolves when it is released (or the throttle is cleared); else undefined.
   * Frames read before the hold wait on it too, so a hold takes effect at once, not after what the last reads brought.
   */
  opened(tenant: string): Promise<void> | undefined {
    const t = this.tenants.get(tenant);
    if (!t?.timer) return undefined;
    return new Promise((resolve) => t.waiters.push(resolve));
  }

  /** Connections held now because their tenant is over its rates. */
  get heldCount(): number {
    let n = 0;
    for (const t of this.tenants.values()) if (t.timer) n += t.conns.size;
    return n;
  }

  /** Stops every timer and reads every held connection again (shutdown). */
  clear(): void {
    for (const t of this.tenants.values()) {
      if (!t.timer) continue;
      clearTimeout(t.timer);
      t.timer = undefined;
      for (const conn of t.conns) this.control.release(conn);
      this.wake(t);
    }
    this.tenants.clear();
  }

  private tenant(id: string): Tenant<C> {
    let t = this.tenants.get(id);
    if (!t) {
      t = { conns: new Set(), waiters: [], bytes: this.rates.bytesPerSecond, cpuMs: this.rates.cpuMsPerSecond, at: this.now() };
      this.tenants.set(id, t);
    }
    return t;
  }

  private refill(t: Tenant<C>): void {
    const now = this.now();
    const seconds = (now - t.at) / 1000;
    t.at = now;
    t.bytes = Math.min(this.rates.bytesPerSecond, t.bytes + seconds * this.rates.bytesPerSecond);
    t.cpuMs = Math.min(this.rates.cpuMsPerSecond, t.cpuMs + seconds * this.rates.cpuMsPerSecond);
  }

  /** Wakes when both buckets should be back to zero; frames handled meanwhile may have pushed that further. */
  private schedule(id: string, t: Tenant<C>): void {
    const waitMs = Math.max(-t.bytes / this.rates.bytesPerSecond, -t.cpuMs / this.rates.cpuMsPerSecond, 0) * 1000;
    t.timer = setTimeout(() => {
      this.refill(t);
      if (t.bytes < 0 || t.cpuMs < 0) return this.schedule(id, t);
      t.timer = undefined;
      for (const conn of t.conns) this.control.release(conn);
      this.wake(t);
      this.dropIfIdle(id, t);
    }, Math.ceil(waitMs) + 1);
    t.timer.unref();
  }

  private wake(t: Tenant<C>): void {
    const waiters = t.waiters;
    t.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * A tenant with no connections is forgotten once its buckets are full again: not before, or closing every socket
   * and reconnecting would refill them.
   */
  private dropIfIdle(id: string, t: Tenant<C>): void {
    if (t.conns.size > 0 || t.timer) return;
    this.refill(t);
    if (t.bytes >= this.rates.bytesPerSecond && t.cpuMs >= this.rates.cpuMsPerSecond) this.tenants.delete(id);
  }
}
