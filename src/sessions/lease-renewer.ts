import type { Logger } from '@nestjs/common';
import type { ApiKeysService } from '../auth/api-keys/api-keys.service.js';
import { PhaseWheel } from '../infra/scheduling/phase-wheel.js';
import type { AgentConnection } from './agent-connection.registry.js';
import type { SessionLeaseRepository } from './session-lease.repository.js';

/** Lease renewals turn their own wheel, one slot about every 100 ms. */
const RENEW_TURN_MS = 100;

/**
 * Keeps the leases of the live sessions on this instance: each connection has a phase on a wheel, and every session is
 * renewed once per third of a lease. Many small renewals rather than a few big ones: thousands of idle sessions must
 * not add a periodic spike to the active agents' latency (renewing whatever had come due every second renewed the
 * sessions in the waves they had logged in).
 */
export class LeaseRenewer {
  private readonly wheel: PhaseWheel<AgentConnection>;
  private readonly periodMs: number;
  /** Renewals that failed or found one under way, retried at the next turn. */
  private readonly backlog = new Set<AgentConnection>();
  private renewing = false;
  private failureLoggedAt = 0;

  constructor(
    private readonly leaseSeconds: number,
    private readonly leases: SessionLeaseRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly logger: Logger,
    /** A session whose lease was not renewed: its key was revoked, or another connection took the session over. */
    private readonly lost: (conn: AgentConnection, revoked: boolean) => void,
  ) {
    this.periodMs = (leaseSeconds * 1000) / 3;
    this.wheel = new PhaseWheel(PhaseWheel.slotsFor(this.periodMs, RENEW_TURN_MS));
  }

  /** How often `turn` should run. */
  get turnMs(): number {
    return this.periodMs / this.wheel.slotCount;
  }

  add(conn: AgentConnection): void {
    this.wheel.add(conn);
  }

  remove(conn: AgentConnection): void {
    this.wheel.remove(conn);
    this.backlog.delete(conn);
  }

  /**
   * Renews the leases of one slot of the wheel (each session about every 10 s by default), plus any left from the last
   * turn. A session renewed less than half a period ago (it just logged in) waits for its slot's next turn: at most
   * a period and a half between renewals, half a lease, so a lease never runs out while its socket is live.
   */
  async turn(): Promise<void> {
    const now = Date.now();
    const recent = now - this.periodMs / 2;
    const due = [...this.backlog, ...this.wheel.turn().filter((c) => c.leaseRenewedAt <= recent)].filter((c) => c.state === 'live' && c.session);
    if (due.length === 0) return;
    if (this.renewing) {
      for (const conn of due) this.backlog.add(conn);
      return;
    }
    this.backlog.clear();
    const live = [...new Set(due)];
    this.renewing = true;
    for (const conn of live) conn.leaseRenewedAt = now;
    try {
      const held = await this.leases.renew(
        live.map((c) => ({ sessionId: c.session!.id, epoch: c.session!.epoch })),
        this.leaseSeconds,
      );
      const lost = live.filter((c) => !held.has(c.session!.id));
      // Rare: tell a revoked key (its NOTIFY missed) from a takeover, one read per key.
      const revoked = new Set<string>();
      for (const apiKeyId of new Set(lost.map((c) => c.principal!.apiKeyId))) {
        if (!(await this.apiKeys.isActive(apiKeyId))) revoked.add(apiKeyId);
      }
      for (const conn of lost) this.lost(conn, revoked.has(conn.principal!.apiKeyId));
    } catch (err) {
      // Try again at the next turn: the leases still have half their time or more.
      for (const conn of live) this.backlog.add(conn);
      // Once per period, not at every turn, while the database is unreachable.
      if (now - this.failureLoggedAt >= this.periodMs) {
        this.failureLoggedAt = now;
        this.logger.warn(`renewing leases failed (${this.backlog.size} sessions waiting): ${(err as Error).message}`);
      }
    } finally {
      this.renewing = false;
    }
  }
}
