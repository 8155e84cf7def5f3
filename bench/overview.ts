/**
 * Figure 8: the dashboard overview's aggregates on a large table. The bench database gets EVENTS events in the last
 * 24 hours (one INSERT … SELECT generate_series per table: sessions, events, verdicts, reviews), then each aggregate
 * of src/overview/overview.repository.ts (the server's own SQL, through the same Prisma client) is timed beside a
 * `count(*)` over the same rows: the window's events, read through the same created_at index.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../src/generated/prisma/client.js';
import type { PrismaService } from '../src/infra/database/prisma.service.js';
import { OverviewRepository, type OverviewScope } from '../src/overview/overview.repository.js';
import { nowMs } from './lib/stats.js';

export interface OverviewTiming {
  aggregate: string;
  medianMs: number;
}
export interface OverviewMeasurement {
  events: number;
  seedSeconds: number;
  countMedianMs: number;
  aggregates: OverviewTiming[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Fills the window: 4 projects, 400 sessions, `events` events spread over 24 hours, a verdict for all but the 2% sent to review, which get a review (decided, expired or pending). */
async function seed(pool: pg.Pool, events: number): Promise<void> {
  await pool.query(`INSERT INTO projects (id, name) SELECT gen_random_uuid(), 'overview-' || i FROM generate_series(1, 4) i`);
  await pool.query(
    `INSERT INTO api_keys (id, project_id, name, prefix, secret_hash)
     SELECT gen_random_uuid(), p.id, 'bench', substr(md5(p.id::text), 1, 12), 'x' FROM projects p WHERE p.name LIKE 'overview-%'`,
  );
  await pool.query(
    `INSERT INTO agent_sessions (id, project_id, api_key_id, external_id, agent_id, lease_expires_at)
     SELECT gen_random_uuid(), k.project_id, k.id, 's' || i, 'agent-' || (i % 37), CASE WHEN i % 10 = 0 THEN now() + interval '1 hour' END
       FROM api_keys k CROSS JOIN generate_series(1, 100) i WHERE k.name = 'bench'`,
  );
  // Event n: every 50th goes to review; of the rest every 7th is blocked by one of 12 rules; tools cycle over 20.
  await pool.query(
    `WITH s AS (SELECT id, agent_id, row_number() OVER (ORDER BY id) - 1 AS k FROM agent_sessions)
     INSERT INTO agent_events (id, session_id, event_id, kind, tool, agent_id, input_sha256, rule_action, rule_id, rule_snapshot, created_at)
     SELECT gen_random_uuid(), s.id, 'e' || n, 'tool', 'tool.' || (n % 20), s.agent_id, 'sha',
            (CASE WHEN n % 50 = 0 THEN 'review' WHEN n % 7 = 0 THEN 'block' ELSE 'allow' END)::"RuleAction",
            CASE WHEN n % 50 <> 0 AND n % 7 = 0 THEN ('00000000-0000-4000-8000-' || lpad((n % 12)::text, 12, '0'))::uuid END,
            CASE WHEN n % 50 <> 0 AND n % 7 = 0 THEN jsonb_build_object('reason', 'rule ' || (n % 12), 'tool', 'tool.*') END,
            now() - interval '24 hours' + (n::float8 / $1) * interval '23 hours 59 minutes'
       FROM generate_series(0, $1 - 1) n JOIN s ON s.k = n % 400`,
    [events],
  );
  await pool.query(
    `INSERT INTO reviews (id, project_id, session_id, event_row_id, status, input_sha256, timeout_decision, created_at, expires_at, decided_at)
     SELECT gen_random_uuid(), s.project_id, e.session_id, e.id,
            (CASE WHEN e.seq % 9 = 0 THEN 'expired' WHEN e.seq % 13 = 0 THEN 'pending' WHEN e.seq % 2 = 0 THEN 'approved' ELSE 'denied' END)::"ReviewStatus",
            'sha', 'block', e.created_at, e.created_at + interval '5 minutes',
            CASE WHEN e.seq % 9 <> 0 AND e.seq % 13 <> 0 THEN e.created_at + (e.seq % 240) * interval '1 second' END
       FROM agent_events e JOIN agent_sessions s ON s.id = e.session_id WHERE e.rule_action = 'review'`,
  );
  await pool.query(
    `INSERT INTO verdicts (id, session_id, event_row_id, event_id, decision, reason, source, review_id, input_sha256, created_at)
     SELECT gen_random_uuid(), e.session_id, e.id, e.event_id,
            (CASE WHEN e.rule_action = 'block' OR r.status IN ('denied', 'expired') THEN 'block' ELSE 'allow' END)::"Decision", 'bench',
            (CASE WHEN r.id IS NULL THEN 'policy' WHEN r.status = 'expired' THEN 'timeout' ELSE 'review' END)::"VerdictSource",
            r.id, 'sha', e.created_at
       FROM agent_events e LEFT JOIN reviews r ON r.event_row_id = e.id
      WHERE r.id IS NULL OR r.status <> 'pending'`,
  );
  await pool.query('VACUUM ANALYZE agent_sessions, agent_events, verdicts, reviews');
}

export async function measureOverview(databaseUrl: string, opts: { events: number; runs: number }): Promise<OverviewMeasurement> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  try {
    const seeded = nowMs();
    await seed(pool, opts.events);
    const seedSeconds = (nowMs() - seeded) / 1000;
    const repo = new OverviewRepository(prisma as unknown as PrismaService);
    const scope: OverviewScope = { since: new Date(Date.now() - 24 * 3_600_000) };
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      await fn(); // warm: plans cached, pages in shared buffers, as on a dashboard that refreshes
      const ms: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        const t = nowMs();
        await fn();
        ms.push(nowMs() - t);
      }
      return median(ms);
    };
    const countMedianMs = await timed(() => prisma.$queryRaw`SELECT count(*) FROM agent_events e WHERE e.created_at >= ${scope.since}`);
    const aggregates: [string, () => Promise<unknown>][] = [
      ['totals', () => repo.totals(scope)],
      ['events per hour by verdict', () => repo.eventsPerHour(scope)],
      ['time to decision p50/p95', () => repo.decisionTimes(scope)],
      ['expiries per day', () => repo.expiriesPerDay(scope)],
      ['top blocked tools', () => repo.topBlockedTools(scope)],
      ['top blocking rules', () => repo.topBlockingRules(scope)],
      ['most active agents', () => repo.mostActiveAgents(scope)],
    ];
    const out: OverviewTiming[] = [];
    for (const [aggregate, fn] of aggregates) out.push({ aggregate, medianMs: await timed(fn) });
    return { events: opts.events, seedSeconds, countMedianMs, aggregates: out };
  } finally {
    await prisma.$disconnect();
    await pool.end().catch(() => undefined); // the adapter may have ended it already
  }
}
