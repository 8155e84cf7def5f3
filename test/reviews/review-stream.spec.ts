import { AgentSocket } from '../support/agent-socket.js';
import { type TestApp, startApp } from '../support/app.js';
import { type SignedIn, createUser, waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type HitlProject, type ReviewsWorld, SseClient, hitlProject, reviewsWorld } from './support.js';

describe('GET /api/stream', () => {
  let world: ReviewsWorld;
  let { db, one, two, http1, http2, admin, reviewer } = {} as ReviewsWorld;
  let viewer: SignedIn;
  let project: HitlProject;
  const streams: SseClient[] = [];
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    ({ db, one, two, http1, http2, admin, reviewer } = world);
    viewer = await createUser(http1, admin.token, 'viewer');
    project = await hitlProject(http1, admin.token);
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await world?.close();
  });

  async function open(app: TestApp, token: string | undefined, opts?: Parameters<typeof SseClient.open>[2]): Promise<SseClient> {
    const client = await SseClient.open(app.url, token, opts);
    streams.push(client);
    return client;
  }

  async function agentOn(app: TestApp, sessionId: string): Promise<AgentSocket> {
    const { agent } = await AgentSocket.login(app.wsUrl, project.key, sessionId);
    sockets.push(agent);
    return agent;
  }

  it('shows a client on instance one the review.created of an event received on instance two, then its decision', async () => {
    const feed = await open(one, viewer.token);
    expect(feed.status).toBe(200);
    const agent = await agentOn(two, 'feed-cross');
    const connected = await feed.next((e) => e.event === 'session.connected' && e.data.data.external_id === 'feed-cross');
    expect(connected.data).toMatchObject({ type: 'session.connected', project_id: project.id, data: { session_id: expect.any(String) } });
    expect(connected.id).toBe(connected.data.id);

    const pending = await agent.decide('feed-1', { ...DESTRUCTIVE });
    const created = await feed.next((e) => e.event === 'review.created' && e.data.data.review_id === pending.review_id);
    expect(created.data).toMatchObject({
      type: 'review.created',
      project_id: project.id,
      data: { event_id: 'feed-1', tool: 'shell.exec', status: 'pending', reason: 'destructive command', session_external_id: 'feed-cross' },
    });
    expect(created.data.data).not.toHaveProperty('input');

    await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'deny', note: 'no' }, { token: reviewer.token });
    const decided = await feed.next((e) => e.event === 'review.decided' && e.data.data.review_id === pending.review_id);
    expect(decided.data.data).toMatchObject({ status: 'denied', decision: 'block', source: 'review', note: 'no', decided_by: reviewer.id });
    expect(BigInt(decided.id!)).toBeGreaterThan(BigInt(created.id!));

    await agent.close();
    await feed.next((e) => e.event === 'session.disconnected' && e.data.data.external_id === 'feed-cross');
  });

  it('resumes with Last-Event-ID on another instance without missing or repeating anything', async () => {
    const first = await open(one, viewer.token);
    const marker = await agentOn(one, 'resume-marker');
    const seen = await first.next((e) => e.event === 'session.connected' && e.data.data.external_id === 'resume-marker');
    first.close();
    await marker.close();

    // While the client is away: events from both instances, several at a time.
    const agents = await Promise.all([agentOn(one, 'resume-a'), agentOn(two, 'resume-b')]);
    const pendings = await Promise.all(agents.flatMap((agent, i) => [0, 1, 2].map((n) => agent.decide(`away-${i}-${n}`, { ...DESTRUCTIVE }))));
    await Promise.all(pendings.slice(0, 3).map((p, n) => (n % 2 ? http1 : http2).post(`/api/reviews/${p.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token })));
    // Session events are logged just after the fact; wait until everything this scenario causes is in the log.
    await waitFor('the whole scenario to be logged', async () => {
      const rows = await db.pool.query(
        `SELECT count(*) FILTER (WHERE type = 'review.created' AND payload->>'review_id' = ANY($1))::int AS created,
                count(*) FILTER (WHERE type = 'session.connected' AND payload->>'external_id' IN ('resume-a', 'resume-b'))::int AS connected,
                count(*) FILTER (WHERE type = 'session.disconnected' AND payload->>'external_id' = 'resume-marker')::int AS disconnected
           FROM stream_events`,
        [pendings.map((p) => p.review_id)],
      );
      const { created, connected, disconnected } = rows.rows[0];
      return created === 6 && connected === 2 && disconnected === 1 ? true : undefined;
    });
    const missed = (await db.pool.query('SELECT id::text AS id, type FROM stream_events s WHERE s.id > $1 ORDER BY s.id', [seen.id])).rows as { id: string; type: string }[];
    expect(missed.filter((r) => r.type === 'review.created')).toHaveLength(6);
    expect(missed.filter((r) => r.type === 'review.decided')).toHaveLength(3);

    const resumed = await open(two, viewer.token, { lastEventId: seen.id });
    await resumed.next((e) => e.id === missed[missed.length - 1].id);
    expect(resumed.events.map((e) => e.id)).toEqual(missed.map((r) => r.id));
    expect(resumed.events.map((e) => e.event)).toEqual(missed.map((r) => r.type));

    // And it carries on live after the backlog.
    const live = await agents[0].decide('after-resume', { ...DESTRUCTIVE });
    const next = await resumed.next((e) => e.event === 'review.created' && e.data.data.review_id === live.review_id);
    expect(BigInt(next.id!)).toBeGreaterThan(BigInt(missed[missed.length - 1].id));
  });

  it('delivers concurrent events from both instances to every client in id order, each once', async () => {
    const watchers = await Promise.all([open(one, viewer.token), open(two, admin.token)]);
    const start = (await db.pool.query('SELECT COALESCE(max(id), 0)::text AS id FROM stream_events')).rows[0].id as string;
    const agents = await Promise.all([agentOn(one, 'burst-a'), agentOn(two, 'burst-b'), agentOn(one, 'burst-c'), agentOn(two, 'burst-d')]);
    const pendings = await Promise.all(agents.flatMap((agent, i) => [0, 1, 2, 3, 4].map((n) => agent.decide(`burst-${i}-${n}`, { ...DESTRUCTIVE }))));
    await Promise.all(pendings.map((p, n) => (n % 2 ? http1 : http2).post(`/api/reviews/${p.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token })));
    const ids = pendings.map((p) => p.review_id);
    for (const w of watchers) {
      await Promise.all(ids.map((id) => w.next((e) => e.event === 'review.decided' && e.data.data.review_id === id, 10_000)));
    }
    const logged = (await db.pool.query('SELECT id::text AS id FROM stream_events s WHERE s.id > $1 ORDER BY s.id', [start])).rows.map((r) => r.id as string);
    for (const w of watchers) {
      const got = w.events.map((e) => e.id!).filter((id) => BigInt(id) > BigInt(start));
      expect(got).toEqual(logged.slice(0, got.length));
      expect(got.length).toBeGreaterThanOrEqual(44);
    }
  });

  it('tells a client whose Last-Event-ID has left the log to reload, then sends what it has', async () => {
    const gone = (await db.pool.query("INSERT INTO stream_events (project_id, type, payload) VALUES ($1, 'session.connected', '{}') RETURNING id::text AS id", [project.id])).rows[0].id;
    const after = (await db.pool.query("INSERT INTO stream_events (project_id, type, payload) VALUES ($1, 'session.connected', '{\"x\":1}') RETURNING id::text AS id", [project.id])).rows[0].id;
    await db.pool.query('DELETE FROM stream_events WHERE id = $1', [gone]);
    const client = await open(one, viewer.token, { query: `?last_event_id=${gone}` });
    const reset = await client.next((e) => e.event === 'stream.reset');
    expect(reset.id).toBeUndefined();
    const next = await client.next((e) => e.id === after);
    expect(client.events.indexOf(reset)).toBeLessThan(client.events.indexOf(next));
  });

  it('never lets a stalled feed hold up or fail a decision', async () => {
    const agent = await agentOn(one, 'stalled-feed');
    const pending = await agent.decide('stall-1', { ...DESTRUCTIVE });
    await waitFor('review.created to be logged', async () => {
      const rows = await db.pool.query("SELECT 1 FROM stream_events WHERE type = 'review.created' AND payload->>'review_id' = $1", [pending.review_id]);
      return rows.rowCount ? true : undefined;
    });
    // Someone holds the feed's append lock and does not let go.
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('arbiter_stream_events'))");
      const started = Date.now();
      const res = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(await agent.verdictFor('stall-1')).toMatchObject({ decision: 'allow', source: 'review' });
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    const decided = await db.pool.query("SELECT 1 FROM stream_events WHERE type = 'review.decided' AND payload->>'review_id' = $1", [pending.review_id]);
    expect(decided.rowCount).toBe(0);
    const status = await db.pool.query('SELECT status FROM reviews WHERE id = $1', [pending.review_id]);
    expect(status.rows[0].status).toBe('approved');
  });

  it('starts a new client on an instance that had none at the log\'s end, then sends it everything new', async () => {
    // An instance without clients does not read the log on each append; its first client must still start at the end.
    const three = await startApp(db.url);
    try {
      const agent = await agentOn(one, 'idle-instance');
      for (let n = 0; n < 3; n++) await agent.decide(`before-${n}`, { ...DESTRUCTIVE });
      const before = await agent.decide('before-last', { ...DESTRUCTIVE });
      await waitFor('the earlier reviews to be logged', async () => {
        const { rows } = await db.pool.query("SELECT 1 FROM stream_events WHERE type = 'review.created' AND payload->>'review_id' = $1", [before.review_id]);
        return rows.length > 0 ? true : undefined;
      });
      const end = BigInt((await db.pool.query('SELECT max(id)::text AS id FROM stream_events')).rows[0].id as string);

      const feed = await open(three, viewer.token);
      const fresh = await agent.decide('after-open', { ...DESTRUCTIVE });
      await feed.next((e) => e.event === 'review.created' && e.data.data.review_id === fresh.review_id);
      expect(feed.events.length).toBeGreaterThan(0);
      expect(feed.events.every((e) => BigInt(e.id!) > end)).toBe(true);
      feed.close();
    } finally {
      await three.close();
    }
  });

  it('is for signed-in people only', async () => {
    const anonymous = await open(one, undefined);
    expect(anonymous.status).toBe(401);
    const agent = await open(one, project.key);
    expect(agent.status).toBe(403);
    const bad = await open(one, viewer.token, { query: '?last_event_id=abc' });
    expect(bad.status).toBe(400);
  });

  it('ends open streams when the instance shuts down, so it can stop', async () => {
    const third = await startApp(db.url);
    const client = await SseClient.open(third.url, viewer.token);
    expect(client.status).toBe(200);
    await third.close();
    await waitFor('the stream to end', async () => (client.ended ? true : undefined));
  });
});
