import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import { replannedStatement } from '../infra/database/replanned-statement.js';
import { MicroBatcher } from '../infra/scheduling/micro-batcher.js';

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
 * The one-live-connection-per-session lease, kept in the agent_sessions row and fenced by `epoch`. Every write is a
 * single statement, so two logins racing for one session cannot both win.
 */
@Injectable()
export class SessionLeaseRepository {
  /**
   * Logins that arrive while a claim statement runs are claimed together by the next one (see claimBatch); a lone
   * login claims alone, at once.
   */
  private readonly claims = new MicroBatcher<ClaimRequest, Claim | undefined>((batch) => this.claimBatch(batch), 256, 1);

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates the session (in the key's own namespace) or claims it: only when its lease is free or expired, or when the
   * login presents the current resume token, and only while its API key is not revoked and no one ended it. Returns
   * undefined when another connection holds it, the key is revoked, or the session was ended.
   */
  claim(r: ClaimRequest): Promise<Claim | undefined> {
    return this.claims.submit(r);
  }

  /**
   * Many logins' claims in ONE statement, with the single claim's rules: existing sessions are locked FOR UPDATE (in
   * id order) and taken only if free, expired or resumed with their token; new ones are inserted (in key order, so
   * concurrent batches cannot deadlock on each other's new rows). What the batch cannot settle (a session held by
   * someone else, one created concurrently elsewhere, the same session twice in one batch) is claimed again alone,
   * which gives the definitive answer.
   */
  private async claimBatch(batch: ClaimRequest[]): Promise<(Claim | undefined)[]> {
    if (batch.length === 1) return [await this.claimOne(batch[0])];
    const { rows } = await this.prisma.pool.query<{ id: string | null; epoch: number | null; created: boolean }>(
      replannedStatement(
        'arbiter_claim_sessions',
        `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::int[], $9::text[], $10::text[])
           WITH ORDINALITY AS i(project_id, api_key_id, external_id, agent_id, source, connection_id, instance_id, lease_seconds, new_resume_hash, presented_resume_hash, n)
       ),
       active AS (
         SELECT k.id FROM api_keys k WHERE k.id IN (SELECT api_key_id FROM input) AND k.revoked_at IS NULL
       ),
       existing AS (
         SELECT s.id, i.n FROM agent_sessions s JOIN input i ON s.api_key_id = i.api_key_id AND s.external_id = i.external_id
          JOIN active a ON a.id = i.api_key_id
          ORDER BY s.id
          FOR UPDATE OF s
       ),
       updated AS (
         UPDATE agent_sessions s
            SET connection_id = i.connection_id, instance_id = i.instance_id, lease_expires_at = now() + make_interval(secs => i.lease_seconds),
                epoch = s.epoch + 1, resume_token_hash = i.new_resume_hash, last_seen_at = now(),
                agent_id = COALESCE(i.agent_id, s.agent_id), source = COALESCE(i.source, s.source)
           FROM existing e JOIN input i ON i.n = e.n
          WHERE s.id = e.id AND s.ended_at IS NULL
            AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= now() OR s.resume_token_hash = i.presented_resume_hash)
         RETURNING s.id, s.epoch, e.n
       ),
       inserted AS (
         INSERT INTO agent_sessions (id, project_id, api_key_id, external_id, agent_id, source, connection_id, instance_id, lease_expires_at, epoch, resume_token_hash)
         SELECT gen_random_uuid(), i.project_id, i.api_key_id, i.external_id, i.agent_id, i.source, i.connection_id, i.instance_id,
                now() + make_interval(secs => i.lease_seconds), 1, i.new_resume_hash
           FROM input i WHERE i.api_key_id IN (SELECT id FROM active) AND NOT EXISTS (SELECT 1 FROM existing e WHERE e.n = i.n)
          ORDER BY i.api_key_id, i.external_id
         ON CONFLICT (api_key_id, external_id) DO NOTHING
         RETURNING id, epoch, connection_id
       )
       SELECT COALESCE(u.id, ins.id) AS id, COALESCE(u.epoch, ins.epoch) AS epoch, ins.id IS NOT NULL AS created
         FROM input i
         LEFT JOIN updated u ON u.n = i.n
         LEFT JOIN inserted ins ON ins.connection_id = i.connection_id
        ORDER BY i.n`,
        [
          batch.map((r) => r.projectId),
          batch.map((r) => r.apiKeyId),
          batch.map((r) => r.externalId),
          batch.map((r) => r.agentId),
          batch.map((r) => r.source),
          batch.map((r) => r.connectionId),
          batch.map((r) => r.instanceId),
          batch.map((r) => r.leaseSeconds),
          batch.map((r) => r.newResumeHash),
          batch.map((r) => r.presentedResumeHash),
        ],
      ),
    );
    const claims: (Claim | undefined)[] = [];
    for (const [n, r] of batch.entries()) {
      const row = rows[n];
      // One by one, in order: the same session twice in a batch must be settled as two logins in a row would be.
      claims.push(row.id !== null && row.epoch !== null ? { sessionId: row.id, epoch: row.epoch, created: row.created } : await this.claimOne(r));
    }
    return claims;
  }

  /**
   * One login's claim. An existing session's row is first locked FOR UPDATE (`fence`): that waits for any event being recorded under the
   * current epoch, whose statement holds FOR KEY SHARE until it commits, so a takeover's replay sees that verdict.
   * (Lease renewals and releases, plain updates, conflict with neither.)
   */
  private async claimOne(r: ClaimRequest): Promise<Claim | undefined> {
    const { rows } = await this.prisma.pool.query<{ id: string; epoch: number; created: boolean }>({
      name: 'arbiter_claim_session',
      text: `WITH fence AS (
         SELECT id FROM agent_sessions WHERE api_key_id = $2 AND external_id = $3 FOR UPDATE
       )
       INSERT INTO agent_sessions AS s
         (id, project_id, api_key_id, external_id, agent_id, source, connection_id, instance_id, lease_expires_at, epoch, resume_token_hash)
       SELECT gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), 1, $9
         FROM (SELECT 1) AS one LEFT JOIN fence ON true
        WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = $2 AND k.revoked_at IS NULL)
       ON CONFLICT (api_key_id, external_id) DO UPDATE SET
         connection_id = EXCLUDED.connection_id,
         instance_id = EXCLUDED.instance_id,
         lease_expires_at = EXCLUDED.lease_expires_at,
         epoch = s.epoch + 1,
         resume_token_hash = EXCLUDED.resume_token_hash,
         last_seen_at = now(),
         agent_id = COALESCE(EXCLUDED.agent_id, s.agent_id),
         source = COALESCE(EXCLUDED.source, s.source)
       WHERE s.ended_at IS NULL AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= now() OR s.resume_token_hash = $10)
       RETURNING id, epoch, (xmax = 0) AS created`,
      values: [r.projectId, r.apiKeyId, r.externalId, r.agentId, r.source, r.connectionId, r.instanceId, r.leaseSeconds, r.newResumeHash, r.presentedResumeHash],
    });
    return rows[0] ? { sessionId: rows[0].id, epoch: rows[0].epoch, created: rows[0].created } : undefined;
  }

  /**
   * Extends the leases this instance holds; returns the ids still held (the others were taken over, or their API key
   * was revoked: a socket a revocation's NOTIFY missed keeps no lease).
   */
  async renew(held: { sessionId: string; epoch: number }[], leaseSeconds: number): Promise<Set<string>> {
    if (held.length === 0) return new Set();
    const { rows } = await this.prisma.pool.query<{ id: string }>(
      replannedStatement(
        'arbiter_renew_leases',
        `UPDATE agent_sessions AS s
         SET lease_expires_at = now() + make_interval(secs => $3), last_seen_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS h(id, epoch)
       WHERE s.id = h.id AND s.epoch = h.epoch
         AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = s.api_key_id AND k.revoked_at IS NULL)
       RETURNING s.id`,
        [held.map((h) => h.sessionId), held.map((h) => h.epoch), leaseSeconds],
      ),
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Frees leases at once (clean disconnect, shutdown), so the next login need not wait for expiry. */
  async release(held: { sessionId: string; epoch: number }[]): Promise<void> {
    if (held.length === 0) return;
    await this.prisma.pool.query(
      replannedStatement(
        'arbiter_release_leases',
        `UPDATE agent_sessions AS s
         SET lease_expires_at = NULL, connection_id = NULL, instance_id = NULL, last_seen_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS h(id, epoch)
       WHERE s.id = h.id AND s.epoch = h.epoch`,
        [held.map((h) => h.sessionId), held.map((h) => h.epoch)],
      ),
    );
  }
}
