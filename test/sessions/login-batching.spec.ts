import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/infra/database/prisma.service.js';
import { countNamedStatements } from '../support/statement-counter.js';
import { type ClaimRequest, SessionLeaseRepository } from '../../src/sessions/session-lease.repository.js';
import { type SessionsWorld, sessionsWorld } from './support.js';

/**
 * Logins that arrive together claim their sessions in one statement (SessionLeaseRepository). These drive the
 * repository with concurrent claims, which is what makes batches, and check each login gets what it would alone.
 */
describe('batched session claims', () => {
  let world: SessionsWorld;
  let leases: SessionLeaseRepository;
  let statements = new Map<string, number>();

  beforeAll(async () => {
    world = await sessionsWorld('block');
    leases = world.apps[0].app.get(SessionLeaseRepository);
    statements = countNamedStatements(world.apps[0].app.get(PrismaService).pool);
  });
  afterAll(() => world?.close());

  function request(externalId: string, presentedResumeHash: string | null = null): ClaimRequest {
    return {
      projectId: world.projectId,
      apiKeyId: world.keyId,
      externalId,
      agentId: null,
      source: null,
      connectionId: randomUUID(),
      instanceId: 'test-instance',
      leaseSeconds: 30,
      presentedResumeHash,
      newResumeHash: `resume-${externalId}-${randomUUID()}`,
    };
  }

  it('creates 30 sessions claimed at once, each its own, in few statements', async () => {
    statements.clear();
    const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => leases.claim(request(`new-${i}`))));
    expect(claims.every((c) => c?.created === true && c.epoch === 1)).toBe(true);
    expect(new Set(claims.map((c) => c?.sessionId)).size).toBe(30);
    expect(statements.get('arbiter_claim_sessions')).toBeGreaterThanOrEqual(1);
    expect((statements.get('arbiter_claim_sessions') ?? 0) + (statements.get('arbiter_claim_session') ?? 0)).toBeLessThanOrEqual(4);
  });

  it('in one batch: refuses held sessions, takes expired ones and those resumed with their token', async () => {
    const first = await Promise.all(Array.from({ length: 9 }, (_, i) => leases.claim(request(`held-${i}`))));
    const hashes = await world.db.pool.query<{ external_id: string; resume_token_hash: string }>(
      "SELECT external_id, resume_token_hash FROM agent_sessions WHERE external_id LIKE 'held-%'",
    );
    const hashOf = new Map(hashes.rows.map((r) => [r.external_id, r.resume_token_hash]));
    await world.db.pool.query("UPDATE agent_sessions SET lease_expires_at = now() - interval '1 second' WHERE external_id IN ('held-6', 'held-7', 'held-8')");

    statements.clear();
    const second = await Promise.all(
      Array.from({ length: 9 }, (_, i) => leases.claim(request(`held-${i}`, i >= 3 && i < 6 ? hashOf.get(`held-${i}`)! : i < 3 ? 'wrong' : null))),
    );
    second.forEach((c, i) => {
      if (i < 3) expect(c).toBeUndefined(); // held, and the token is wrong
      else expect(c).toEqual({ sessionId: first[i]!.sessionId, epoch: 2, created: false }); // resumed (3-5) or expired (6-8)
    });
    expect(statements.get('arbiter_claim_sessions')).toBeGreaterThanOrEqual(1);
  });

  it('lets exactly one of two logins of the same new session in one batch have it', async () => {
    const requests = [request('warm-up'), request('twice'), request('twice'), request('other')];
    const claims = await Promise.all(requests.map((r) => leases.claim(r)));
    expect(claims[0]?.created).toBe(true);
    expect(claims.slice(1, 3).filter((c) => c !== undefined)).toHaveLength(1);
    expect(claims[3]?.created).toBe(true);
    // The session records the connection of the login that got it.
    const winner = claims[1] ? requests[1] : requests[2];
    const { rows } = await world.db.pool.query("SELECT epoch, connection_id::text AS connection_id FROM agent_sessions WHERE external_id = 'twice'");
    expect(rows).toEqual([{ epoch: 1, connection_id: winner.connectionId }]);
  });
});
