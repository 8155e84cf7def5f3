/* eslint-disable @typescript-eslint/no-explicit-any */
import { type SignedInApp, createApiKey, createProject, createUser, signedInApp } from '../support/fixtures.js';

const R1 = '00000000-0000-4000-8000-000000000001';
const R2 = '00000000-0000-4000-8000-000000000002';
const R3 = '00000000-0000-4000-8000-000000000003';
/** Seconds a pending review raised 3 hours ago stays open: past now, or the sweeper would expire it mid-test. */
const PENDING_WINDOW = 4 * 3600;

interface Seeded {
  verdict?: { decision: 'allow' | 'block'; source: 'policy' | 'review' | 'timeout' };
  review?: { status: 'pending' | 'approved' | 'denied' | 'expired'; decidedAfterSeconds?: number; expiresAfterSeconds?: number };
}

describe('GET /api/overview', () => {
  let world: SignedInApp;
  let projectA: string;
  let projectB: string;
  let threeHoursAgoHour: string;
  let threeHoursAgoDay: string;
  let expiryDay: string;

  /** One event (with its verdict and review, when given) written by SQL `age` ago, as the recorder would have. */
  async function event(session: string, projectId: string, age: string, e: { kind?: 'tool' | 'llm'; tool: string | null; agent: string | null; rule?: [string, string] }, s: Seeded = {}): Promise<void> {
    const { pool } = world.db;
    const row = await pool.query(
      `INSERT INTO agent_events (id, session_id, event_id, kind, tool, agent_id, input_sha256, rule_action, rule_id, rule_snapshot, created_at)
       VALUES (gen_random_uuid(), $1, gen_random_uuid()::text, $2, $3, $4, 'sha', $5, $6::uuid, $7::jsonb, now() - $8::interval)
       RETURNING id, event_id, created_at`,
      [session, e.kind ?? 'tool', e.tool, e.agent, s.review ? 'review' : (s.verdict?.decision ?? 'allow'), e.rule?.[0] ?? null,
       e.rule ? JSON.stringify({ id: e.rule[0], reason: e.rule[1], tool: e.tool }) : null, age],
    );
    const { id, event_id, created_at } = row.rows[0];
    let reviewId: string | null = null;
    if (s.review) {
      const r = await pool.query(
        `INSERT INTO reviews (id, project_id, session_id, event_row_id, status, input_sha256, timeout_decision, created_at, expires_at, decided_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, 'sha', 'block', $5::timestamptz, $5::timestamptz + make_interval(secs => $6::float8), $5::timestamptz + make_interval(secs => $7::float8))
         RETURNING id`,
        [projectId, session, id, s.review.status, created_at, s.review.expiresAfterSeconds ?? 300, s.review.decidedAfterSeconds ?? null],
      );
      reviewId = r.rows[0].id;
    }
    if (s.verdict) {
      await pool.query(
        `INSERT INTO verdicts (id, session_id, event_row_id, event_id, decision, reason, source, review_id, input_sha256, created_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, 'seeded', $5, $6, 'sha', $7)`,
        [session, id, event_id, s.verdict.decision, s.verdict.source, reviewId, created_at],
      );
    }
  }

  async function session(projectId: string, name: string, state: 'live' | 'ended'): Promise<string> {
    const key = await createApiKey(world.http, world.admin.token, projectId, name);
    const row = await world.db.pool.query(
      `INSERT INTO agent_sessions (id, project_id, api_key_id, external_id, lease_expires_at, ended_at)
       VALUES (gen_random_uuid(), $1, $2, $3, CASE WHEN $4 = 'live' THEN now() + interval '1 minute' ELSE now() - interval '1 minute' END,
               CASE WHEN $4 = 'ended' THEN now() END)
       RETURNING id`,
      [projectId, key.id, name, state],
    );
    return row.rows[0].id;
  }

  beforeAll(async () => {
    world = await signedInApp();
    projectA = (await createProject(world.http, world.admin.token)).id;
    projectB = (await createProject(world.http, world.admin.token)).id;
    const a1 = await session(projectA, 'a1', 'live');
    const a2 = await session(projectA, 'a2', 'ended');
    const b1 = await session(projectB, 'b1', 'live');
    const h = '3 hours';
    // Project A, in the last 24 hours.
    await event(a1, projectA, h, { tool: 'shell.exec', agent: 'alpha', rule: [R1, 'no shell'] }, { verdict: { decision: 'block', source: 'policy' } });
    await event(a1, projectA, h, { tool: 'shell.exec', agent: 'alpha', rule: [R1, 'no shell'] }, { verdict: { decision: 'block', source: 'policy' } });
    await event(a1, projectA, h, { tool: 'fs.write', agent: 'alpha' }, { verdict: { decision: 'block', source: 'review' }, review: { status: 'denied', decidedAfterSeconds: 60 } });
    await event(a2, projectA, h, { tool: 'fs.read', agent: 'beta' }, { verdict: { decision: 'allow', source: 'policy' } });
    await event(a2, projectA, h, { tool: 'fs.read', agent: 'beta' }, { verdict: { decision: 'allow', source: 'review' }, review: { status: 'approved', decidedAfterSeconds: 120 } });
    await event(a1, projectA, h, { tool: 'shell.exec', agent: null }, { review: { status: 'pending', expiresAfterSeconds: PENDING_WINDOW } });
    await event(a1, projectA, h, { kind: 'llm', tool: null, agent: 'alpha', rule: [R2, 'no llm'] }, { verdict: { decision: 'block', source: 'policy' } });
    await event(a2, projectA, h, { tool: 'net.fetch', agent: 'gamma' }, { verdict: { decision: 'block', source: 'timeout' }, review: { status: 'expired', expiresAfterSeconds: 300 } });
    // Project A, three days ago: only in the 7-day window.
    await event(a1, projectA, '3 days', { tool: 'shell.exec', agent: 'alpha', rule: [R1, 'no shell'] }, { verdict: { decision: 'block', source: 'policy' } });
    // Project B.
    await event(b1, projectB, h, { tool: 'shell.exec', agent: 'delta', rule: [R3, 'b rule'] }, { verdict: { decision: 'block', source: 'policy' } });
    await event(b1, projectB, h, { tool: 'db.drop', agent: 'delta' }, { review: { status: 'pending', expiresAfterSeconds: PENDING_WINDOW } });

    const at = await world.db.pool.query(
      `SELECT date_trunc('hour', now() - interval '3 hours', 'UTC') AS hour,
              to_char(now() AT TIME ZONE 'UTC' - interval '3 hours', 'YYYY-MM-DD') AS day,
              to_char(now() AT TIME ZONE 'UTC' - interval '3 hours' + interval '300 seconds', 'YYYY-MM-DD') AS expiry_day`,
    );
    threeHoursAgoHour = at.rows[0].hour.toISOString();
    threeHoursAgoDay = at.rows[0].day;
    expiryDay = at.rows[0].expiry_day;
  });

  afterAll(async () => {
    await world?.close();
  });

  async function overview(query: string, token = world.admin.token): Promise<any> {
    const res = await world.http.get(`/api/overview${query}`, { token });
    expect(res.status).toBe(200);
    return res.body;
  }

  it('sums one project’s last 24 hours exactly: totals, events per hour by verdict, decision times, expiries, top tools, rules and agents', async () => {
    const body = await overview(`?project=${projectA}&range=24h`);
    expect(body.range).toBe('24h');
    expect(body.totals).toEqual({ events: 8, blocks: 5, pending_reviews: 1, live_sessions: 1 });

    // Every hour of the window, 24 back from the current one.
    expect(body.events_per_hour).toHaveLength(25);
    const busy = body.events_per_hour.filter((h: any) => h.allow + h.block + h.pending > 0);
    expect(busy).toEqual([{ hour: threeHoursAgoHour, allow: 2, block: 5, pending: 1 }]);

    // Decided after 60 s and 120 s: median 90, 95th percentile 60 + 0.95 × 60 (percentile_cont interpolates).
    expect(body.decision_times).toEqual([{ day: threeHoursAgoDay, decided: 2, p50_seconds: 90, p95_seconds: 117 }]);
    expect(body.expiries).toEqual([{ day: expiryDay, expired: 1 }]);

    // The LLM call has no tool; a reviewer's denial and a timeout block a tool but are no rule's block.
    expect(body.top_blocked_tools).toEqual([
      { tool: 'shell.exec', blocks: 2 },
      { tool: 'fs.write', blocks: 1 },
      { tool: 'net.fetch', blocks: 1 },
    ]);
    expect(body.top_blocking_rules).toEqual([
      { rule_id: R1, reason: 'no shell', tool: 'shell.exec', blocks: 2 },
      { rule_id: R2, reason: 'no llm', tool: null, blocks: 1 },
    ]);
    expect(body.most_active_agents).toEqual([
      { agent_id: 'alpha', events: 4, blocks: 4 },
      { agent_id: 'beta', events: 2, blocks: 0 },
      { agent_id: 'gamma', events: 1, blocks: 1 },
      { agent_id: null, events: 1, blocks: 0 },
    ]);
  });

  it('takes the older event in over 7 days, with an hour for each of them', async () => {
    const body = await overview(`?project=${projectA}&range=7d`);
    expect(body.totals).toEqual({ events: 9, blocks: 6, pending_reviews: 1, live_sessions: 1 });
    expect(body.events_per_hour).toHaveLength(7 * 24 + 1);
    expect(body.events_per_hour.reduce((n: number, h: any) => n + h.block, 0)).toBe(6);
    expect(body.top_blocked_tools[0]).toEqual({ tool: 'shell.exec', blocks: 3 });
    expect(body.top_blocking_rules[0]).toEqual({ rule_id: R1, reason: 'no shell', tool: 'shell.exec', blocks: 3 });
    expect(body.most_active_agents[0]).toEqual({ agent_id: 'alpha', events: 5, blocks: 5 });
  });

  it('counts every project without a project filter, and a viewer may read it', async () => {
    const viewer = await createUser(world.http, world.admin.token, 'viewer');
    const body = await overview('', viewer.token);
    expect(body.range).toBe('24h');
    expect(body.totals).toEqual({ events: 10, blocks: 6, pending_reviews: 2, live_sessions: 2 });
    expect(body.top_blocked_tools[0]).toEqual({ tool: 'shell.exec', blocks: 3 });
    expect(body.top_blocking_rules.map((r: any) => [r.rule_id, r.blocks])).toEqual([[R1, 2], [R2, 1], [R3, 1]]);
  });

  it('refuses an unknown range or a project that is not a uuid, and anyone not signed in', async () => {
    const range = await world.http.get('/api/overview?range=30d', { token: world.admin.token });
    expect(range.status).toBe(400);
    expect(range.body.error.code).toBe('validation_failed');
    expect((await world.http.get('/api/overview?project=nope', { token: world.admin.token })).status).toBe(400);
    expect((await world.http.get('/api/overview')).status).toBe(401);
  });
});
