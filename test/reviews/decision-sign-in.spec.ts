import { PrismaService } from '../../src/infra/database/prisma.service.js';
import { AgentSocket } from '../support/agent-socket.js';
import { type SignedIn, createUser, signIn } from '../support/fixtures.js';
import { countNamedStatements } from '../support/statement-counter.js';
import { DESTRUCTIVE, type HitlProject, type ReviewsWorld, hitlProject, reviewsWorld } from './support.js';

/**
 * A decision checks the reviewer's sign-in in its own statement (UncheckedSignIn): no separate sign-in query before
 * it, yet every refusal the guard gives elsewhere, in the same order, and nothing decided when refused.
 */
describe('the decision checks its sign-in in its own statement', () => {
  let world: ReviewsWorld;
  let project: HitlProject;
  let statements: Map<string, number>;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    project = await hitlProject(world.http1, world.admin.token);
    statements = countNamedStatements(world.two.app.get(PrismaService).pool);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await world?.close();
  });

  async function pendingReview(sessionId: string): Promise<{ agent: AgentSocket; reviewId: string }> {
    const { agent } = await AgentSocket.login(world.one.wsUrl, project.key, sessionId);
    sockets.push(agent);
    const frame = await agent.decide('evt-1', { ...DESTRUCTIVE });
    expect(frame).toMatchObject({ type: 'pending', review_id: expect.any(String) });
    return { agent, reviewId: frame.review_id };
  }

  function decide(reviewId: string, options: { token?: string; headers?: Record<string, string> }, body: unknown = { decision: 'approve' }) {
    return world.http2.post(`/api/reviews/${reviewId}/decision`, body, options);
  }

  async function expectUndecided(reviewId: string): Promise<void> {
    const { rows } = await world.db.pool.query(
      `SELECT r.status::text, (SELECT count(*)::int FROM verdicts v WHERE v.review_id = r.id) AS verdicts,
              (SELECT count(*)::int FROM audit_entries a WHERE a.action = 'review.decide' AND a.target_id = r.id::text) AS audits
         FROM reviews r WHERE r.id = $1::uuid`,
      [reviewId],
    );
    expect(rows).toEqual([{ status: 'pending', verdicts: 0, audits: 0 }]);
  }

  it('decides with one statement and no separate sign-in query; the audit names the reviewer', async () => {
    const { agent, reviewId } = await pendingReview('one-statement');
    statements.clear();
    const res = await decide(reviewId, { token: world.reviewer.token });
    expect(res.status).toBe(200);
    expect(res.body.review).toMatchObject({ status: 'approved', decided_by: world.reviewer.id });
    expect(statements.get('arbiter_authenticate_user_session')).toBeUndefined();
    expect(statements.get('arbiter_decide_review')).toBe(1);
    expect(await agent.verdictFor('evt-1')).toMatchObject({ decision: 'allow', review_id: reviewId });
    const audit = await world.db.pool.query("SELECT actor_type, actor_id FROM audit_entries WHERE action = 'review.decide' AND target_id = $1", [reviewId]);
    expect(audit.rows).toEqual([{ actor_type: 'user', actor_id: world.reviewer.id }]);
  });

  it('refuses a signed-out token, a made-up one and a disabled account with 401, deciding nothing', async () => {
    const { reviewId } = await pendingReview('signed-out');
    const leaving = await createUser(world.http1, world.admin.token, 'reviewer');
    expect((await world.http1.post('/api/auth/logout', undefined, { token: leaving.token })).status).toBeLessThan(300);
    const disabled = await createUser(world.http1, world.admin.token, 'reviewer');
    expect((await world.http1.patch(`/api/users/${disabled.id}`, { disabled: true }, { token: world.admin.token })).status).toBe(200);

    for (const token of [leaving.token, 'x'.repeat(43), disabled.token]) {
      const res = await decide(reviewId, { token });
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 401, code: 'unauthorized' });
    }
    await expectUndecided(reviewId);
  });

  it('refuses a reviewer demoted to viewer after signing in (403), and one who must change their password', async () => {
    const { reviewId } = await pendingReview('demoted');
    const demoted = await createUser(world.http1, world.admin.token, 'reviewer');
    expect((await world.http1.patch(`/api/users/${demoted.id}`, { role: 'viewer' }, { token: world.admin.token })).status).toBe(200);
    const res = await decide(reviewId, { token: demoted.token });
    expect({ status: res.status, code: res.body.error?.code, message: res.body.error?.message }).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'this requires the admin or reviewer role',
    });

    const pending = await createUser(world.http1, world.admin.token, 'reviewer');
    await world.db.pool.query('UPDATE users SET must_change_password = true WHERE id = $1::uuid', [pending.id]);
    const refused = await decide(reviewId, { token: pending.token });
    expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 403, code: 'password_change_required' });
    await expectUndecided(reviewId);
  });

  it('refuses the sign-in before the input: a stranger learns nothing about a malformed id or body', async () => {
    const { reviewId } = await pendingReview('stranger');
    for (const [path, body] of [
      [`/api/reviews/not-a-uuid/decision`, { decision: 'approve' }],
      [`/api/reviews/${reviewId}/decision`, { decision: 'maybe', extra: 1 }],
      [`/api/reviews/00000000-0000-4000-8000-000000000000/decision`, { decision: 'approve' }],
    ] as const) {
      const res = await world.http2.post(path, body, { token: 'y'.repeat(43) });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
    // Signed in, the same requests get the input's own errors.
    expect((await world.http2.post('/api/reviews/not-a-uuid/decision', { decision: 'approve' }, { token: world.reviewer.token })).status).toBe(400);
    expect((await decide(reviewId, { token: world.reviewer.token }, { decision: 'maybe' })).status).toBe(400);
    await expectUndecided(reviewId);
  });

  it('by cookie: needs the CSRF header, and then decides and slides the session with its cookie', async () => {
    const { reviewId } = await pendingReview('cookie');
    const person: SignedIn = await createUser(world.http1, world.admin.token, 'reviewer');
    const cookie = `arbiter_session=${person.token}`;
    const csrf = await decide(reviewId, { headers: { cookie } });
    expect({ status: csrf.status, code: csrf.body.error?.code }).toEqual({ status: 403, code: 'csrf_required' });
    await expectUndecided(reviewId);

    // Last seen two minutes ago: this request slides the expiry and renews the cookie.
    await world.db.pool.query("UPDATE user_sessions SET last_seen_at = now() - interval '2 minutes' WHERE user_id = $1::uuid", [person.id]);
    const res = await decide(reviewId, { headers: { cookie, 'x-requested-with': 'test' } });
    expect(res.status).toBe(200);
    expect(res.body.review.decided_by).toBe(person.id);
    expect(res.headers.get('set-cookie')).toMatch(/^arbiter_session=/);
    const { rows } = await world.db.pool.query('SELECT now() - last_seen_at < interval \'10 seconds\' AS slid FROM user_sessions WHERE user_id = $1::uuid', [person.id]);
    expect(rows).toEqual([{ slid: true }]);
  });

  it('an API key is refused as on every person-only route', async () => {
    const { reviewId } = await pendingReview('api-key');
    const res = await decide(reviewId, { token: project.key });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 403, code: 'forbidden' });
    // And a second sign-in of the same reviewer decides.
    const again = await signIn(world.http1, world.reviewer.email, world.reviewer.password);
    expect((await decide(reviewId, { token: again })).status).toBe(200);
  });
});
