import type { Logger } from '@nestjs/common';

/** A project's throttling is logged once per this period, not at every refill. */
const THROTTLE_LOG_PERIOD_MS = 60_000;

/** Logs a project's first throttling in a period (TenantThrottle's callback); the counter on /metrics has them all. */
export class ThrottleLog {
  /** When each project's throttling was last logged. */
  private readonly loggedAt = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly rates: { wsProjectBytesPerSecond: number; wsProjectCpuMsPerSecond: number },
  ) {}

  throttled(projectId: string): void {
    const now = Date.now();
    const last = this.loggedAt.get(projectId);
    if (last !== undefined && now - last < THROTTLE_LOG_PERIOD_MS) return;
    // Forget the old entries now and then, so the map holds the projects throttled in the last period only.
    if (this.loggedAt.size > 1000) {
      for (const [id, at] of this.loggedAt) if (now - at >= THROTTLE_LOG_PERIOD_MS) this.loggedAt.delete(id);
    }
    this.loggedAt.set(projectId, now);
    this.logger.warn(
      `project ${projectId} is over its agent-frame rates on this instance (ARBITER_WS_PROJECT_BYTES_PER_SECOND ${this.rates.wsProjectBytesPerSecond}, ` +
        `ARBITER_WS_PROJECT_CPU_MS_PER_SECOND ${this.rates.wsProjectCpuMsPerSecond}): its sockets are read more slowly (logged once per minute)`,
    );
  }
}
