import { poolSql } from '../../src/infra/database/sql-transaction.js';
import { ReviewAnnouncer } from '../../src/reviews/review-announcer.service.js';
import { ReviewSweeper } from '../../src/reviews/review-sweeper.service.js';
import { ReviewsRepository } from '../../src/reviews/reviews.repository.js';
import { type ReviewCreated, SessionHooks } from '../../src/sessions/session-hooks.service.js';
import { AgentSocket, eventually } from '../support/agent-socket.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { DESTRUCTIVE, hitlProject } from './support.js';

describe('review.created announcements', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Long sweep intervals: the test runs the sweepers itself, so their timers do not race it.
    [one, two] = await Promise.all([startApp(db.url, { reviewSweepIntervalMs: 60_000 }), startApp(db.url, { reviewSweepIntervalMs: 60_000 })]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await db?.drop();
  });

  async function createdEvents(reviewIds: string[]): Promise<Map<string, number>> {
    const { rows } = await db.pool.query<{ review_id: string; n: number }>(
      "SELECT payload->>'review_id' AS review_id, count(*)::int AS n FROM stream_events WHERE type = 'review.created' AND payload->>'review_id' = ANY($1) GROUP BY 1",
      [reviewIds],
    );
    return new Map(rows.map((r) => [r.review_id, r.n]));
  }

  it('announces, exactly once, reviews whose instance died before announcing them, even with sweepers racing', async () => {
    const http = new HttpClient(one.url);
    const admin = await signInAdmin(http);
    const project = await hitlProject(http, admin.token);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'announce');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await agent.decide(`announce-${i}`, DESTRUCTIVE)).review_id);
    await eventually(async () => [...(await createdEvents(ids)).values()].every((n) => n === 1) && (await createdEvents(ids)).size === 20, 5000, 'hook announcements');

    // What a crash between recording and announcing leaves: reviews nobody announced, from a while ago.
    await db.pool.query("DELETE FROM stream_events WHERE type = 'review.created'");
    await db.pool.query('DELETE FROM review_announcements WHERE review_id = ANY($1)', [ids]);
    await db.pool.query("UPDATE reviews SET created_at = created_at - interval '10 seconds' WHERE id = ANY($1)", [ids]);

    await Promise.all([one.app.get(ReviewSweeper).sweep(), two.app.get(ReviewSweeper).sweep(), one.app.get(ReviewSweeper).sweep()]);
    const counts = await createdEvents(ids);
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    // Announced reviews stay announced.
    await two.app.get(ReviewSweeper).sweep();
    expect([...(await createdEvents(ids)).values()].every((n) => n === 1)).toBe(true);
    await agent.close();
  });

  it('announces once, with one webhook delivery, when the recording instances and the sweepers all race', async () => {
    const http = new HttpClient(one.url);
    const admin = await signInAdmin(http);
    const project = await hitlProject(http, admin.token);
    const hook = await http.post(`/api/projects/${project.id}/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['review.created'] }, { token: admin.token });
    expect(hook.status).toBe(201);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'race');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await agent.decide(`race-${i}`, DESTRUCTIVE)).review_id);
    const deliveries = async () =>
      (await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_key = ANY($1)", [ids.map((id) => `review.created:${id}`)])).rows[0].n;
    await eventually(async () => (await createdEvents(ids)).size === 10 && (await deliveries()) === 10, 5000, 'hook announcements');

    await db.pool.query("DELETE FROM stream_events WHERE type = 'review.created' AND payload->>'review_id' = ANY($1)", [ids]);
    await db.pool.query('DELETE FROM webhook_deliveries WHERE event_key = ANY($1)', [ids.map((id) => `review.created:${id}`)]);
    await db.pool.query('DELETE FROM review_announcements WHERE review_id = ANY($1)', [ids]);
    await db.pool.query("UPDATE reviews SET created_at = created_at - interval '10 seconds' WHERE id = ANY($1)", [ids]);

    // Both instances' hooks fire for every review while both sweepers look for unannounced ones.
    const { rows } = await db.pool.query(
      `SELECT r.id::text AS review_id, r.session_id::text AS session_id, s.external_id, e.event_id, r.event_row_id::text AS event_row_id, e.kind::text AS kind,
              e.tool, r.rule_snapshot->>'reason' AS rule_reason, r.timeout_decision::text AS timeout_decision, r.input_sha256, r.created_at, r.expires_at
         FROM reviews r JOIN agent_sessions s ON s.id = r.session_id JOIN agent_events e ON e.id = r.event_row_id WHERE r.id = ANY($1)`,
      [ids],
    );
    const refs: ReviewCreated[] = rows.map((r) => ({
      reviewId: r.review_id,
      projectId: project.id,
      sessionId: r.session_id,
      externalId: r.external_id,
      eventId: r.event_id,
      review: {
        eventRowId: r.event_row_id,
        kind: r.kind,
        tool: r.tool,
        ruleReason: r.rule_reason,
        timeoutDecision: r.timeout_decision,
        inputSha256: r.input_sha256,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      },
    }));
    for (const ref of refs) for (const app of [one, two]) app.app.get(SessionHooks).emitReviewCreated(ref);
    await Promise.all([one.app.get(ReviewSweeper).sweep(), two.app.get(ReviewSweeper).sweep()]);
    await Promise.all([one, two].map((app) => app.app.get(ReviewAnnouncer).settled()));
    await two.app.get(ReviewSweeper).sweep();
    const counts = await createdEvents(ids);
    expect([...counts.values()]).toEqual(ids.map(() => 1));
    expect(await deliveries()).toBe(10);
    await agent.close();
  });

  it('announces a new review with what reading it back shows, on the feed and to webhooks alike', async () => {
    const http = new HttpClient(one.url);
    const admin = await signInAdmin(http);
    const project = await hitlProject(http, admin.token);
    await http.post(`/api/projects/${project.id}/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['review.created'] }, { token: admin.token });
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'as-read');
    const { review_id } = await agent.decide('as-read-1', DESTRUCTIVE);
    await eventually(async () => (await createdEvents([review_id])).get(review_id) === 1, 5000, 'hook announcement');
    const feed = await db.pool.query("SELECT payload FROM stream_events WHERE type = 'review.created' AND payload->>'review_id' = $1", [review_id]);
    const hook = await db.pool.query('SELECT payload FROM webhook_deliveries WHERE event_key = $1', [`review.created:${review_id}`]);
    const [read] = await one.app.get(ReviewsRepository).summaries(poolSql(db.pool), [review_id]);
    const expected = one.app.get(ReviewAnnouncer).payload('review.created', read);
    expect(feed.rows[0].payload).toEqual(expected);
    expect(hook.rows[0].payload).toEqual(expected);
    await agent.close();
  });

  it('leaves a fresh review to the instance that recorded it', async () => {
    const http = new HttpClient(one.url);
    const admin = await signInAdmin(http);
    const project = await hitlProject(http, admin.token);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'fresh');
    const { review_id } = await agent.decide('fresh-1', DESTRUCTIVE);
    await eventually(async () => (await createdEvents([review_id])).get(review_id) === 1, 5000, 'hook announcement');
    await db.pool.query("DELETE FROM stream_events WHERE type = 'review.created' AND payload->>'review_id' = $1", [review_id]);
    await db.pool.query('DELETE FROM review_announcements WHERE review_id = $1', [review_id]);
    // Younger than the grace period: the sweeper does not step in (the recording instance is presumed alive).
    await two.app.get(ReviewSweeper).sweep();
    expect((await createdEvents([review_id])).get(review_id)).toBeUndefined();
    await agent.close();
  });
});
