import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';

export interface ClaimRequest {
  projectId: string;
  apiKeyId: string;
  externalId: string;
  agentId: string | null;
  source: string | null;
  connectionId: string;
  instanceId: string;
  leaseSeconds: number;
  /** SHA-256 of the resume token the client presented, if any. */
  presentedResumeHash: string | null;
  /** SHA-256 of the fresh resume token this login hands out. */
  newResumeHash: string;
}

export interface Claim {
  sessionId: string;
  epoch: number;
  created: boolean;
}

/**
 * The one-live-connection-per-session lease, kept in the agent_sessions row and fenced by `epoch`. Every method is a
 * single statement, so two logins racing for one session cannot both win.
 */
@Injectable()
export class SessionLeaseRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates the session (in the key's own namespace) or claims it: only when its lease is free or expired, or when the
   * login presents the current resume token. Returns undefined when another connection holds it.
   *
   * An existing session's row is first locked FOR UPDATE (`fence`): that waits for any event being recorded under the
   * current epoch, whose statement holds FOR KEY SHARE until it commits, so a takeover's replay sees that verdict.
   * (Lease renewals and releases, plain updates, conflict with neither.)
   */
  async claim(r: ClaimRequest): Promise<Claim | undefined> {
    const { rows } = await this.prisma.pool.query<{ id: string; epoch: number; created: boolean }>({
      name: 'arbiter_claim_session',
      text: `WITH fence AS (
         SELECT id FROM agent_sessions WHERE api_key_id = $2 AND external_id = $3 FOR UPDATE
       )
       INSERT INTO agent_sessions AS s
         (id, project_id, api_key_id, external_id, agent_id, source, connection_id, instance_id, lease_expires_at, epoch, resume_token_hash)
       SELECT gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), 1, $9
         FROM (SELECT 1) AS one LEFT JOIN fence ON true
       ON CONFLICT (api_key_id, external_id) DO UPDATE SET
         connection_id = EXCLUDED.connection_id,
         instance_id = EXCLUDED.instance_id,
         lease_expires_at = EXCLUDED.lease_expires_at,
         epoch = s.epoch + 1,
         resume_token_hash = EXCLUDED.resume_token_hash,
         last_seen_at = now(),
         agent_id = COALESCE(EXCLUDED.agent_id, s.agent_id),
         source = COALESCE(EXCLUDED.source, s.source)
       WHERE s.lease_expires_at IS NULL OR s.lease_expires_at <= now() OR s.resume_token_hash = $10
       RETURNING id, epoch, (xmax = 0) AS created`,
      values: [r.projectId, r.apiKeyId, r.externalId, r.agentId, r.source, r.connectionId, r.instanceId, r.leaseSeconds, r.newResumeHash, r.presentedResumeHash],
    });
    return rows[0] ? { sessionId: rows[0].id, epoch: rows[0].epoch, created: rows[0].created } : undefined;
  }

  /** Extends the leases this instance holds; returns the ids still held (the others were taken over). */
  async renew(held: { sessionId: string; epoch: number }[], leaseSeconds: number): Promise<Set<string>> {
    if (held.length === 0) return new Set();
    const { rows } = await this.prisma.pool.query<{ id: string }>({
      name: 'arbiter_renew_leases',
      text: `UPDATE agent_sessions AS s
         SET lease_expires_at = now() + make_interval(secs => $3), last_seen_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS h(id, epoch)
       WHERE s.id = h.id AND s.epoch = h.epoch
       RETURNING s.id`,
      values: [held.map((h) => h.sessionId), held.map((h) => h.epoch), leaseSeconds],
    });
    return new Set(rows.map((r) => r.id));
  }

  /** Frees leases at once (clean disconnect, shutdown), so the next login need not wait for expiry. */
  async release(held: { sessionId: string; epoch: number }[]): Promise<void> {
    if (held.length === 0) return;
    await this.prisma.pool.query({
      name: 'arbiter_release_leases',
      text: `UPDATE agent_sessions AS s
         SET lease_expires_at = NULL, connection_id = NULL, instance_id = NULL, last_seen_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS h(id, epoch)
       WHERE s.id = h.id AND s.epoch = h.epoch`,
      values: [held.map((h) => h.sessionId), held.map((h) => h.epoch)],
    });
  }
}
