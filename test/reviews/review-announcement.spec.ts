import { ReviewSweeper } from '../../src/reviews/review-sweeper.service.js';
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
