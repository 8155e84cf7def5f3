/* eslint-disable @typescript-eslint/no-explicit-any */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type WebSocket from 'ws';
import { ArbiterClient, type ConnectOptions, type Verdict } from '@arbiter-ai/sdk';
import { EmbeddedPostgres, freePort } from '../../src/infra/database/embedded-postgres.js';
import { applyMigrations } from '../../src/infra/database/migrations.js';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { AgentSocket, eventually } from '../support/agent-socket.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { createApiKey, createProject, createUser, signInAdmin, waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { LOG_DIR, killAll, serverLogsShown, withServerLogs } from './arbiter-process.js';
import { Cluster, mapLimit, requestOnce, tally } from './cluster.js';

/**
 * Arbiter as it is deployed: several `node dist/src/main.js` processes on one PostgreSQL behind a load balancer
 * (test/support/tcp-balancer.ts, round robin with fail-over, standing in for nginx), with the faults operators cause:
 * a killed instance, a rolling deploy, a database restart, connection storms, a client that stops reading, and
 * limits that must hold whichever instance a request lands on. Assertions are about rows and messages; where a bound
 * is the requirement it is asserted generously and the measured value printed.
 *
 * All of it is one file so that dist/ is built once, by one worker.
 */

const SETUP_MS = 180_000;
const SCENARIO_MS = 240_000;
/** Fewer connections per instance than the default, so several instances fit beside the other test files. */
const POOL = { ARBITER_DB_POOL_SIZE: '8' };

const DESTRUCTIVE_RULE = { kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: 'block' };
const NETWORK_RULE = { kind: 'tool', tool: 'net.*', action: 'block', reason: 'no network' };

function report(line: string): void {
  process.stdout.write(`[topology] ${line}\n`);
}

async function setRules(http: HttpClient, token: string, projectId: string, rules: unknown[]): Promise<void> {
  const res = await http.put(`/api/projects/${projectId}/rules`, { default_action: 'allow', rules }, { token });
  if (res.status !== 200) throw new Error(`put rules: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Decides a review over HTTP, retrying only answers that say the instance could not do it just now (5xx). */
async function decideReview(baseUrl: string, token: string, reviewId: string, decision: 'approve' | 'deny'): Promise<any> {
  for (let attempt = 0; ; attempt++) {
    const res = await requestOnce(baseUrl, 'POST', `/api/reviews/${reviewId}/decision`, { token, body: { decision, note: `topology ${decision}` } });
    if (res.status === 200) return res.body;
    if (res.status < 500 || attempt >= 20) throw new Error(`deciding review ${reviewId}: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Every agent a test opened, so none outlives its test (a failed one included) and keeps Jest from exiting. */
const openAgents = new Set<ArbiterClient>();
const openSockets = new Set<AgentSocket>();

async function connectAgent(options: ConnectOptions): Promise<ArbiterClient> {
  const client = await ArbiterClient.connect(options);
  openAgents.add(client);
  return client;
}

async function closeAgents(): Promise<void> {
  await Promise.all([...openAgents].map((c) => c.close()));
  for (const s of openSockets) s.terminate();
  openAgents.clear();
  openSockets.clear();
}

/** A cluster of `count` instances on a fresh database, with its admin's token and one project (`rules`, an API key). */
interface ProjectCluster {
  db: TestDatabase;
  cluster: Cluster;
  http: HttpClient;
  adminToken: string;
  projectId: string;
  key: string;
  /** Closes the test's agents, then the cluster, then drops the database. */
  close(): Promise<void>;
}

async function projectCluster(name: string, count: number, env: Record<string, string>, project: Record<string, unknown>, rules: unknown[]): Promise<ProjectCluster> {
  const db = await createTestDatabase();
  const cluster = await Cluster.start(name, db.url, count, env);
  const http = new HttpClient(cluster.instances[0].url);
  const adminToken = (await signInAdmin(http)).token;
  const { id: projectId } = await createProject(http, adminToken, project);
  await setRules(http, adminToken, projectId, rules);
  const key = (await createApiKey(http, adminToken, projectId)).key;
  return {
    db,
    cluster,
    http,
    adminToken,
    projectId,
    key,
    async close() {
      await closeAgents();
      await cluster.close();
      await db.drop();
    },
  };
}

/**
 * `count` agents through the balancer that reconnect quickly and record each held call's review id in `pending`
 * (event id → review id), for the scenarios where people decide while instances come and go.
 */
function connectReviewAgents(url: string, apiKey: string, prefix: string, count: number, pending: Map<string, string>): Promise<ArbiterClient[]> {
  return Promise.all(
    Array.from({ length: count }, (_, a) =>
      connectAgent({
        url,
        apiKey,
        sessionId: `${prefix}-agent-${a}`,
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
        onPending: (eventId, reviewId) => pending.set(eventId, reviewId),
      }),
    ),
  );
}

/** Cleanups registered by the running test, run after it whether it passed or not. */
const afterThisTest: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of afterThisTest.splice(0)) cleanup();
});

afterAll(async () => {
  await closeAgents();
  await killAll();
  if (serverLogsShown()) report(`server logs are kept in ${LOG_DIR}`);
  else rmSync(LOG_DIR, { recursive: true, force: true });
});

describe('an instance killed with SIGKILL while agents wait for reviews', () => {
  const AGENTS = 9;
  const EVENTS_PER_AGENT = 6;
  let db: TestDatabase;
  let cluster: Cluster;
  let adminToken: string;
  let key: string;

  let world: ProjectCluster;

  beforeAll(async () => {
    world = await projectCluster('crash', 3, POOL, { mode: 'hitl', review_timeout_seconds: 600 }, [DESTRUCTIVE_RULE]);
    ({ db, cluster, adminToken, key } = world);
  }, SETUP_MS);

  afterAll(() => world?.close());

  it('delivers every decision made before, during and after the crash exactly once, through a survivor, and loses or duplicates no row', () =>
    withServerLogs(() => cluster.history, async () => {
      const [victim, ...survivors] = cluster.instances;
      const pending = new Map<string, string>();
      const agents = await connectReviewAgents(cluster.url, key, 'crash', AGENTS, pending);
      const sessionsBefore = agents.map((c) => c.session);

      // Round robin spread the agents over every instance, the victim included.
      const placement = await db.pool.query<{ instance_id: string; n: number }>('SELECT instance_id, count(*)::int AS n FROM agent_sessions GROUP BY instance_id');
      expect(placement.rows.map((r) => r.instance_id).sort()).toEqual(cluster.instances.map((p) => p.instanceId).sort());
      expect(placement.rows.reduce((sum, r) => sum + r.n, 0)).toBe(AGENTS);
      const onVictim = new Set((await db.pool.query<{ id: string }>('SELECT id FROM agent_sessions WHERE instance_id = $1', [victim.instanceId])).rows.map((r) => r.id));

      // Every agent asks about six destructive calls; each is held for a person.
      type Call = { agent: number; eventId: string; phase: 'before' | 'during' | 'after'; decision: 'approve' | 'deny'; verdict: Promise<Verdict>; answers: number };
      const calls: Call[] = [];
      agents.forEach((client, a) => {
        for (let i = 0; i < EVENTS_PER_AGENT; i++) {
          const eventId = `crash-${a}-${i}`;
          const call: Call = {
            agent: a,
            eventId,
            phase: i < 2 ? 'before' : i < 4 ? 'during' : 'after',
            decision: (a + i) % 2 === 0 ? 'approve' : 'deny',
            answers: 0,
            verdict: undefined as any,
          };
          call.verdict = client.decide({ event_id: eventId, kind: 'tool', tool: 'shell.exec', input: { cmd: `rm -rf /tmp/build-${a}-${i}` } }, { timeoutMs: 120_000 });
          void call.verdict.then(() => call.answers++);
          calls.push(call);
        }
      });
      await waitFor('every call to be pending', async () => (pending.size === calls.length ? true : undefined), 30_000);

      const decide = (call: Call, i: number) => decideReview(survivors[i % survivors.length].url, adminToken, pending.get(call.eventId)!, call.decision);

      // Before: decided on a survivor, answered on whichever instance holds the agent.
      const before = calls.filter((c) => c.phase === 'before');
      await mapLimit(before, 6, decide);
      await withTimeout(Promise.all(before.map((c) => c.verdict)), 30_000, 'verdicts decided before the crash');

      // During: decisions race the kill.
      const during = calls.filter((c) => c.phase === 'during');
      let decidedDuring = 0;
      let killedAt = 0;
      const kill = (async () => {
        await eventually(() => decidedDuring >= 3, 30_000, 'first decisions of the crash phase');
        killedAt = Date.now();
        return victim.stop('SIGKILL');
      })();
      await mapLimit(during, 3, async (call, i) => {
        await decide(call, i);
        decidedDuring++;
      });
      const exit = await kill;
      expect(exit.signal).toBe('SIGKILL');

      // The victim's agents come back through the balancer to a survivor, resuming with their token (before the
      // 30 s lease could have expired).
      await eventually(
        async () => {
          if (!agents.every((c) => c.connected)) return false;
          const { rows } = await db.pool.query('SELECT 1 FROM agent_sessions WHERE instance_id = $1', [victim.instanceId]);
          return rows.length === 0;
        },
        30_000,
        'every agent to resume on a survivor',
      );
      const resumedMs = Date.now() - killedAt;
      report(
        `crash: all ${onVictim.size} agents of the killed instance resumed on survivors ${resumedMs} ms after SIGKILL ` +
          `(the balancer skipped the dead backend ${cluster.balancer.refused.get(`127.0.0.1:${victim.port}`) ?? 0} times)`,
      );
      expect(resumedMs).toBeLessThan(30_000);

      // After: the rest.
      const after = calls.filter((c) => c.phase === 'after');
      await mapLimit(after, 6, decide);

      const verdicts = await withTimeout(Promise.all(calls.map((c) => c.verdict)), 60_000, 'every verdict');
      calls.forEach((call, i) => {
        expect({ event: call.eventId, source: verdicts[i].source, decision: verdicts[i].decision, review: verdicts[i].review_id }).toEqual({
          event: call.eventId,
          source: 'review',
          decision: call.decision === 'approve' ? 'allow' : 'block',
          review: pending.get(call.eventId),
        });
        expect(call.answers).toBe(1);
      });
      expect(agents.map((c) => c.session)).toEqual(sessionsBefore);

      // The rows: one event, one review and one verdict per call; the victim's sessions moved to survivors.
      const counts = await db.pool.query(`
        SELECT (SELECT count(*)::int FROM agent_events) AS events,
               (SELECT count(DISTINCT (session_id, event_id))::int FROM agent_events) AS distinct_events,
               (SELECT count(*)::int FROM reviews) AS reviews,
               (SELECT count(*)::int FROM reviews WHERE status = 'approved') AS approved,
               (SELECT count(*)::int FROM reviews WHERE status = 'denied') AS denied,
               (SELECT count(*)::int FROM verdicts) AS verdicts,
               (SELECT count(DISTINCT review_id)::int FROM verdicts) AS reviews_with_verdict,
               (SELECT count(*)::int FROM verdicts v JOIN reviews r ON r.id = v.review_id
                 WHERE v.decision::text <> CASE r.status WHEN 'approved' THEN 'allow' ELSE 'block' END) AS mismatched`);
      const total = AGENTS * EVENTS_PER_AGENT;
      const approvals = calls.filter((c) => c.decision === 'approve').length;
      expect(counts.rows[0]).toEqual({
        events: total,
        distinct_events: total,
        reviews: total,
        approved: approvals,
        denied: total - approvals,
        verdicts: total,
        reviews_with_verdict: total,
        mismatched: 0,
      });
      // Every verdict was acknowledged by its agent in the end: nothing is left owed in the outbox.
      await eventually(async () => (await db.pool.query('SELECT 1 FROM verdicts WHERE acked_at IS NULL')).rows.length === 0, 15_000, 'every verdict acked');
      const moved = await db.pool.query<{ id: string; instance_id: string; epoch: number }>('SELECT id, instance_id, epoch FROM agent_sessions WHERE id = ANY($1::uuid[])', [[...onVictim]]);
      for (const row of moved.rows) {
        expect(survivors.map((p) => p.instanceId)).toContain(row.instance_id);
        expect(row.epoch).toBeGreaterThanOrEqual(2);
      }
      await Promise.all(agents.map((c) => c.close()));
    }),
  SCENARIO_MS);
});

describe('a rolling deploy: SIGTERM and restart each instance in turn under a steady event load', () => {
  const AGENTS = 6;
  let db: TestDatabase;
  let cluster: Cluster;
  let key: string;

  let world: ProjectCluster;

  beforeAll(async () => {
    world = await projectCluster('rolling', 3, POOL, { mode: 'block' }, [NETWORK_RULE]);
    ({ db, cluster, key } = world);
  }, SETUP_MS);

  afterAll(() => world?.close());

  it('exits 0 within 10 s on each SIGTERM, frees leases before closing with 1012, and loses no verdict', () =>
    withServerLogs(() => cluster.history, async () => {
      const agents = await Promise.all(
        Array.from({ length: AGENTS }, (_, a) => connectAgent({ url: cluster.url, apiKey: key, sessionId: `rolling-agent-${a}`, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } })),
      );
      type Result = { eventId: string; tool: string; verdict: Verdict; waitedMs: number };
      const results: Result[] = [];
      let running = true;
      // Each agent acts every 20 ms or so: a steady load, not a benchmark.
      const loops = agents.map(async (client, a) => {
        for (let n = 0; running; n++) {
          const tool = n % 3 === 0 ? 'net.fetch' : 'fs.read';
          const eventId = `rolling-${a}-${n}`;
          const started = Date.now();
          const verdict = await client.decide({ event_id: eventId, kind: 'tool', tool, input: { n } }, { timeoutMs: 30_000 });
          results.push({ eventId, tool, verdict, waitedMs: Date.now() - started });
          if (verdict.source === 'client_error') break; // closed for good: nothing more will be answered
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      const flowing = async (more: number) => {
        const target = results.length + more;
        await eventually(() => results.length >= target, 30_000, `${more} more verdicts`);
      };

      const shutdowns: { instance: string; code: number | null; signal: string | null; ms: number }[] = [];
      for (let i = 0; i < cluster.instances.length; i++) {
        await flowing(60);
        const leaving = cluster.instances[i];
        // A raw agent on the leaving instance sees the close code, and the lease it held is free by then.
        const { agent: watcher, ok } = await loginRaw(leaving.url.replace(/^http/, 'ws'), key, `rolling-watch-${i}`);
        const leaseAtClose = watcher.closed.then(async () => (await db.pool.query('SELECT lease_expires_at FROM agent_sessions WHERE id = $1', [ok.session])).rows[0].lease_expires_at);
        const exit = await leaving.stop('SIGTERM');
        shutdowns.push({ instance: leaving.instanceId, code: exit.code, signal: exit.signal, ms: exit.ms });
        expect((await watcher.closed).code).toBe(1012);
        expect(await leaseAtClose).toBeNull();
        // So the next login needs no resume token and no 30 s wait: it is served at once, by a survivor.
        const { agent: next, ok: nextOk } = await loginRaw(cluster.wsUrl, key, `rolling-watch-${i}`);
        expect(nextOk.session).toBe(ok.session);
        await next.close();
        await cluster.restart(i);
      }
      await flowing(60);
      running = false;
      await Promise.all(loops);

      for (const s of shutdowns) report(`rolling: ${s.instance} exited with ${s.code ?? s.signal} ${s.ms} ms after SIGTERM`);
      const worst = results.reduce((w, r) => (r.waitedMs > w.waitedMs ? r : w));
      report(`rolling: ${results.length} verdicts; worst wait ${worst.waitedMs} ms (${worst.eventId}); median ${median(results.map((r) => r.waitedMs))} ms`);
      for (const s of shutdowns) {
        expect({ instance: s.instance, code: s.code }).toEqual({ instance: s.instance, code: 0 });
        expect(s.ms).toBeLessThan(10_000);
      }
      expect(tally(results, (r) => r.verdict.source)).toEqual({ policy: results.length });
      for (const r of results) expect({ event: r.eventId, decision: r.verdict.decision }).toEqual({ event: r.eventId, decision: r.tool === 'net.fetch' ? 'block' : 'allow' });
      expect(worst.waitedMs).toBeLessThan(15_000);

      const rows = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM agent_events e JOIN agent_sessions s ON s.id = e.session_id WHERE s.external_id LIKE 'rolling-agent-%') AS events,
                (SELECT count(*)::int FROM verdicts v JOIN agent_sessions s ON s.id = v.session_id WHERE s.external_id LIKE 'rolling-agent-%') AS verdicts`,
      );
      expect(rows.rows[0]).toEqual({ events: results.length, verdicts: results.length });
      await Promise.all(agents.map((c) => c.close()));
    }),
  SCENARIO_MS);
});

describe('a PostgreSQL restart under load', () => {
  const AGENTS = 4;
  /**
   * How long the database stays down. Longer than the LISTEN connection's reconnect backoff needs to reach a few
   * seconds, so there is a window after the restart in which decisions commit while no instance is listening.
   */
  const OUTAGE_MS = 7000;
  const pgDir = path.join(LOG_DIR, 'pg-restart');
  let server: EmbeddedPostgres;
  let pool: pg.Pool;
  let cluster: Cluster;
  let adminToken: string;
  let key: string;

  beforeAll(async () => {
    rmSync(pgDir, { recursive: true, force: true });
    server = new EmbeddedPostgres({ dir: pgDir, port: await freePort() });
    await server.start();
    await applyMigrations(server.url('postgres'), () => undefined);
    pool = new pg.Pool({ connectionString: server.url('postgres'), max: 3 });
    // The restart breaks this pool's idle connections too; it replaces them.
    pool.on('error', () => undefined);
    cluster = await Cluster.start('pgrestart', server.url('postgres'), 2, POOL);
    const http = new HttpClient(cluster.instances[0].url);
    adminToken = (await signInAdmin(http)).token;
    const project = await createProject(http, adminToken, { mode: 'hitl', review_timeout_seconds: 600 });
    await setRules(http, adminToken, project.id, [DESTRUCTIVE_RULE, NETWORK_RULE]);
    key = (await createApiKey(http, adminToken, project.id)).key;
  }, SETUP_MS);

  afterAll(async () => {
    await closeAgents();
    await cluster?.close();
    await pool?.end().catch(() => undefined);
    await server?.stop();
    rmSync(pgDir, { recursive: true, force: true });
  });

  /** A query on the dedicated server, retried while this pool replaces connections the restart broke. */
  const query = async <R extends pg.QueryResultRow>(sql: string): Promise<R[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await pool.query<R>(sql)).rows;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  };
  /** The instances' LISTEN connections (their last statement was a LISTEN). */
  const listeners = async () =>
    (await query<{ n: number; first: Date | null }>("SELECT count(*)::int AS n, min(backend_start) AS first FROM pg_stat_activity WHERE query ILIKE 'LISTEN %' AND pid <> pg_backend_pid()"))[0];

  it('turns /readyz 503 while it is down and 200 after without restarting anything, re-LISTENs, and delivers every verdict, one committed while nobody listened included', () =>
    withServerLogs(() => cluster.history, async () => {
      const pids = cluster.instances.map((p) => p.pid);
      expect((await listeners()).n).toBe(cluster.instances.length);
      const pending = new Map<string, string>();
      const agents = await connectReviewAgents(cluster.url, key, 'pg', AGENTS, pending);
      // Each agent has two calls held for a person...
      const held = agents.flatMap((client, a) =>
        [0, 1].map((i) => ({
          eventId: `pg-held-${a}-${i}`,
          decision: (i === 0 ? 'approve' : 'deny') as 'approve' | 'deny',
          verdict: client.decide({ event_id: `pg-held-${a}-${i}`, kind: 'tool', tool: 'shell.exec', input: { cmd: `rm -rf /srv/${a}/${i}` } }, { timeoutMs: 120_000 }),
        })),
      );
      await waitFor('every held call to be pending', async () => (pending.size === held.length ? true : undefined), 20_000);

      // ...and keeps acting, with decisions in flight when the database goes away.
      type Result = { eventId: string; tool: string; verdict: Verdict; startedAt: number; doneAt: number };
      const results: Result[] = [];
      let running = true;
      const loops = agents.map(async (client, a) => {
        for (let n = 0; running; n++) {
          const tool = n % 4 === 0 ? 'net.fetch' : 'fs.read';
          const startedAt = Date.now();
          const verdict = await client.decide({ event_id: `pg-load-${a}-${n}`, kind: 'tool', tool, input: { n } }, { timeoutMs: 60_000 });
          results.push({ eventId: `pg-load-${a}-${n}`, tool, verdict, startedAt, doneAt: Date.now() });
          if (verdict.source === 'client_error') break;
          await new Promise((r) => setTimeout(r, 30));
        }
      });
      await eventually(() => results.length >= 40, 20_000, 'load flowing');

      const stoppedAt = Date.now();
      await server.stop();
      await eventually(async () => (await Promise.all(cluster.instances.map((p) => p.readyStatus()))).every((s) => s === 503), 15_000, '/readyz 503 on every instance');
      for (const p of cluster.instances) expect((await requestOnce(p.url, 'GET', '/healthz')).status).toBe(200);
      // An agent that starts while the database is down keeps trying, and is served once it is back.
      const late = connectAgent({ url: cluster.url, apiKey: key, sessionId: 'pg-late', connectTimeoutMs: 60_000, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } });
      void late.catch(() => undefined); // awaited below; a failure before then must not be an unhandled rejection
      // The outage itself: the database stays down this long, whatever the agents do meanwhile.
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
      // Up to here the database is certainly down; instances may be served again before server.start() returns.
      const restartingAt = Date.now();
      await server.start();
      const restartedAt = Date.now();
      report(`pg restart: database down for ${restartedAt - stoppedAt} ms`);

      // Decide the first held call now, before any instance has its LISTEN connection back: its NOTIFY reaches nobody.
      const early = await listeners();
      if (early.n !== 0) throw new Error(`${early.n} LISTEN connections were back before a decision could be made without them (is the reconnect backoff shorter than OUTAGE_MS?)`);
      const first = held[0];
      await decideReview(cluster.instances[1].url, adminToken, pending.get(first.eventId)!, first.decision);
      const committedBy = (await query<{ now: Date }>('SELECT clock_timestamp() AS now'))[0].now;

      await eventually(async () => (await Promise.all(cluster.instances.map((p) => p.readyStatus()))).every((s) => s === 200), 30_000, '/readyz 200 on every instance');
      const back = await listeners();
      report(`pg restart: /readyz 200 everywhere ${Date.now() - restartedAt} ms after the database came back`);
      expect(back.n).toBe(cluster.instances.length);
      // Every LISTEN connection now open was made after that decision committed.
      expect(back.first!.getTime()).toBeGreaterThan(committedBy.getTime());
      expect(await withTimeout(first.verdict, 20_000, 'the verdict committed while nobody listened')).toMatchObject({ source: 'review', decision: 'allow' });

      for (const call of held.slice(1)) await decideReview(cluster.url, adminToken, pending.get(call.eventId)!, call.decision);
      const heldVerdicts = await withTimeout(Promise.all(held.map((c) => c.verdict)), 30_000, 'held verdicts');
      held.forEach((call, i) => expect({ event: call.eventId, source: heldVerdicts[i].source, decision: heldVerdicts[i].decision }).toEqual({ event: call.eventId, source: 'review', decision: call.decision === 'approve' ? 'allow' : 'block' }));

      await eventually(() => results.filter((r) => r.startedAt > restartedAt).length >= 40, 30_000, 'load flowing after the restart');
      running = false;
      await Promise.all(loops);
      // Each agent had a call in flight across the outage, answered after it.
      const spanning = results.filter((r) => r.startedAt < restartingAt && r.doneAt > restartingAt);
      const worstSpan = Math.max(...spanning.map((r) => r.doneAt - r.startedAt));
      report(`pg restart: ${results.length} load verdicts; ${spanning.length} were in flight across the outage, the longest waited ${worstSpan} ms`);
      expect(new Set(spanning.map((r) => r.eventId.split('-')[2])).size).toBe(AGENTS);
      expect(tally(results, (r) => r.verdict.source)).toEqual({ policy: results.length });
      for (const r of results) expect({ event: r.eventId, decision: r.verdict.decision }).toEqual({ event: r.eventId, decision: r.tool === 'net.fetch' ? 'block' : 'allow' });

      const lateVerdict = await (await late).decide({ event_id: 'pg-late-1', kind: 'tool', tool: 'fs.read', input: {} }, { timeoutMs: 30_000 });
      expect(lateVerdict).toMatchObject({ source: 'policy', decision: 'allow' });
      // The agents that were connected stayed connected through the outage: their sessions were never claimed again.
      const epochs = await query<{ external_id: string; epoch: number }>("SELECT external_id, epoch FROM agent_sessions WHERE external_id LIKE 'pg-agent-%' ORDER BY external_id");
      expect(epochs).toEqual(agents.map((_, a) => ({ external_id: `pg-agent-${a}`, epoch: 1 })));

      // No instance was restarted; rows are whole.
      expect(cluster.instances.map((p) => p.pid)).toEqual(pids);
      expect(cluster.instances.every((p) => p.alive)).toBe(true);
      const rows = await query(
        `SELECT (SELECT count(*)::int FROM agent_events) AS events, (SELECT count(*)::int FROM verdicts) AS verdicts, (SELECT count(*)::int FROM reviews) AS reviews`,
      );
      expect(rows[0]).toEqual({ events: results.length + held.length + 1, verdicts: results.length + held.length + 1, reviews: held.length });
      await Promise.all(agents.map((c) => c.close()));
    }),
  SCENARIO_MS);
});

/** Opens a raw protocol socket and logs in, waiting as long as a storm needs. */
async function loginRaw(wsUrl: string, apiKey: string, sessionId: string, extra: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<{ agent: AgentSocket; ok: any }> {
  const agent = await AgentSocket.open(wsUrl, apiKey);
  openSockets.add(agent);
  agent.send({ type: 'login', session_id: sessionId, ...extra });
  const ok = await agent.next((f) => f.type === 'login_ok' || f.type === 'error', timeoutMs);
  if (ok.type !== 'login_ok') throw new Error(`login ${sessionId}: ${JSON.stringify(ok)}`);
  return { agent, ok };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('connection storms and a client that stops reading', () => {
  const STORM = 2000;
  const MAX_BUFFERED = 65_536;
  let db: TestDatabase;
  let cluster: Cluster;
  let http: HttpClient;
  let adminToken: string;
  let projectId: string;
  let key: string;

  let world: ProjectCluster;

  beforeAll(async () => {
    // A long reason makes every verdict frame large, so a client that stops reading fills its buffers sooner.
    const bulk = { kind: 'tool', tool: 'bulk.*', action: 'block', reason: `bulk refused ${'.'.repeat(480)}` };
    // The balancer is a TCP one: every agent reaches the instances from its address, so the per-address limit on
    // sockets not logged in yet is raised to the storm, as the README tells operators of such a balancer to do.
    const settings = { ...POOL, ARBITER_WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED), ARBITER_WS_MAX_UNAUTHENTICATED_PER_ADDRESS: String(STORM) };
    world = await projectCluster('storm', 3, settings, { mode: 'block' }, [NETWORK_RULE, bulk]);
    ({ db, cluster, http, adminToken, projectId, key } = world);
  }, SETUP_MS);

  afterAll(() => world?.close());

  it(`serves ${STORM} agents logging in at once through the balancer, and all of them again when they reconnect at once`, () =>
    withServerLogs(() => cluster.history, async () => {
      const ids = Array.from({ length: STORM }, (_, i) => `storm-${i}`);
      let started = Date.now();
      // Opened 500 at a time at most, all kept open.
      const first = await mapLimit(ids, 500, (id) => loginRaw(cluster.wsUrl, key, id));
      report(`storm: ${STORM} logins through the balancer in ${Date.now() - started} ms`);
      expect(first.filter((f) => f.ok.type === 'login_ok')).toHaveLength(STORM);
      expect(first.every((f) => f.agent.readyState === 1)).toBe(true);
      const live = await db.pool.query<{ instance_id: string; n: number }>(
        `SELECT instance_id, count(*)::int AS n FROM agent_sessions WHERE project_id = $1 AND lease_expires_at > now() GROUP BY instance_id`,
        [projectId],
      );
      expect(live.rows.reduce((s, r) => s + r.n, 0)).toBe(STORM);
      expect(live.rows).toHaveLength(cluster.instances.length);

      // Every connection is cut at once; all agents come back at once with their resume tokens.
      cluster.balancer.dropAll();
      await Promise.all(first.map((f) => f.agent.closed));
      started = Date.now();
      const again = await Promise.all(first.map((f, i) => loginRaw(cluster.wsUrl, key, ids[i], { resume_token: f.ok.resume_token }, 120_000)));
      report(`storm: ${STORM} reconnects at once served in ${Date.now() - started} ms`);
      expect(again.map((a) => a.ok.session)).toEqual(first.map((f) => f.ok.session));
      expect(again.every((a, i) => a.ok.epoch === first[i].ok.epoch + 1)).toBe(true);
      // And each is served an event.
      started = Date.now();
      const verdicts = await Promise.all(
        again.map(async ({ agent }, i) => {
          agent.send({ type: 'event', event_id: `storm-evt-${i}`, kind: 'tool', tool: i % 2 ? 'net.get' : 'fs.read', input: { i } });
          return agent.next((f) => f.type === 'verdict', 120_000);
        }),
      );
      report(`storm: ${STORM} events answered in ${Date.now() - started} ms`);
      expect(tally(verdicts, (v) => v.decision)).toEqual({ allow: STORM / 2, block: STORM / 2 });
      expect(again.every((a) => a.agent.readyState === 1)).toBe(true);
      expect(cluster.balancer.liveConnections).toBe(STORM);
      await Promise.all(again.map((a) => a.agent.close()));
    }),
  SCENARIO_MS);

  it('closes a client that stops reading with 1013 once its send buffer passes the cap, keeps memory bounded, and keeps other clients served', () =>
    withServerLogs(() => cluster.history, async () => {
      const instance = cluster.instances[0];
      const wsUrl = instance.url.replace(/^http/, 'ws');
      const rssBefore = instance.rssBytes();
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, instance.alive ? instance.rssBytes() : 0)), 100);
      afterThisTest.push(() => clearInterval(sampler));

      // Other agents on the same instance, acting every 20 ms.
      const others = await Promise.all(
        Array.from({ length: 4 }, (_, a) => connectAgent({ url: instance.url, apiKey: key, sessionId: `steady-${a}` })),
      );
      const waits: number[] = [];
      const answers: Verdict[] = [];
      let running = true;
      const loops = others.map(async (client, a) => {
        for (let n = 0; running; n++) {
          const started = Date.now();
          const verdict = await client.decide({ event_id: `steady-${a}-${n}`, kind: 'tool', tool: 'fs.read', input: { n } }, { timeoutMs: 30_000 });
          answers.push(verdict);
          waits.push(Date.now() - started);
          if (verdict.source === 'client_error') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      });

      const { agent: slow, ok } = await loginRaw(wsUrl, key, 'slow-reader');
      const socket = (slow as any).socket as WebSocket;
      (socket as any)._socket.pause();
      const waitsBefore = waits.length;

      // Provoke large verdicts while not reading, a few hundred at a time so the server never has more than that
      // queued from us (past 1,000 queued frames it would close us for flooding instead).
      const eventId = (n: number) => `slow-${String(n).padStart(10, '0')}-${'x'.repeat(180)}`;
      let sent = 0;
      let closedByServer = false;
      const deadline = Date.now() + 120_000;
      while (!closedByServer) {
        if (!instance.alive) throw new Error(`${instance.instanceId} died while a client was not reading`);
        if (Date.now() > deadline) throw new Error(`the server did not close the slow client after ${sent} verdicts`);
        const state = await db.pool.query<{ recorded: number; connection_id: string | null }>(
          'SELECT (SELECT count(*)::int FROM agent_events WHERE session_id = $1) AS recorded, connection_id FROM agent_sessions WHERE id = $1',
          [ok.session],
        );
        const { recorded, connection_id } = state.rows[0];
        if (connection_id === null) closedByServer = true;
        else if (sent - recorded < 300) {
          for (let i = 0; i < 100; i++) slow.send({ type: 'event', event_id: eventId(sent++), kind: 'tool', tool: 'bulk.write', input: { n: sent } });
        } else await new Promise((r) => setTimeout(r, 20));
      }
      const recorded = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM agent_events WHERE session_id = $1', [ok.session])).rows[0].n;

      // Read again: what was buffered arrives, then the reason and the close code.
      (socket as any)._socket.resume();
      const closed = await withTimeout(slow.closed, 20_000, 'the slow client to see its close');
      const waitsDuring = waits.slice(waitsBefore);
      running = false;
      await Promise.all(loops);
      clearInterval(sampler);
      const rssAfter = instance.rssBytes();
      const received = slow.frames.filter((f) => f.type === 'verdict').length;
      report(
        `slow client: closed with ${closed.code} after ${recorded} events recorded, ${received} verdicts (~${Math.round((received * 900) / 1024)} KiB) had reached it; ` +
          `others' worst wait meanwhile ${Math.max(...waitsDuring)} ms over ${waitsDuring.length} verdicts; ` +
          `RSS before ${mib(rssBefore)}, peak ${mib(rssPeak)}, after ${mib(rssAfter)}`,
      );
      // Closed for not reading (not for flooding, the other reason for 1013); the close frame says so.
      expect(closed).toEqual({ code: 1013, reason: 'the client is not reading its frames' });
      expect(received).toBeLessThanOrEqual(recorded);
      expect(waitsDuring.length).toBeGreaterThan(0);
      expect(answers.every((v) => v.source === 'policy' && v.decision === 'allow')).toBe(true);
      expect(Math.max(...waitsDuring)).toBeLessThan(5000);
      expect(rssPeak - rssBefore).toBeLessThan(150 * 1024 * 1024);

      // Nothing it was owed is lost: resuming, it receives every verdict it had not acked.
      const { agent: resumed } = await loginRaw(wsUrl, key, 'slow-reader', { resume_token: ok.resume_token });
      await eventually(() => new Set(resumed.frames.filter((f) => f.type === 'verdict').map((f) => f.event_id)).size === recorded, 30_000, 'replay of every owed verdict');
      await resumed.close();
      await Promise.all(others.map((c) => c.close()));
    }),
  SCENARIO_MS);
});

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

describe('limits that hold across instances, with requests spread over all of them', () => {
  const MAX_FAILURES = 3;
  const MAX_FAILURES_PER_ADDRESS = 5;
  const SHARE_RATE_LIMIT = 20;
  let db: TestDatabase;
  let cluster: Cluster;
  let adminToken: string;
  let sessionId: string;
  let reviewerToken: string;
  let addressCounter = 0;
  /** A client address no other request used; the instances trust the balancer's X-Forwarded-For, as behind nginx. */
  const address = () => {
    const n = ++addressCounter;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    cluster = await Cluster.start('limits', db.url, 3, {
      ...POOL,
      TRUST_PROXY: 'loopback',
      ARBITER_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      ARBITER_LOGIN_MAX_FAILURES_PER_ADDRESS: String(MAX_FAILURES_PER_ADDRESS),
      ARBITER_SHARE_RATE_LIMIT: String(SHARE_RATE_LIMIT),
      ARBITER_SHARE_RATE_WINDOW_SECONDS: '600',
    });
    const http = new HttpClient(cluster.instances[0].url);
    adminToken = (await signInAdmin(http)).token;
    reviewerToken = (await createUser(http, adminToken, 'reviewer')).token;
    const project = await createProject(http, adminToken, { mode: 'block' });
    const key = (await createApiKey(http, adminToken, project.id)).key;
    // A session with a little history, made by an agent through the balancer.
    const agent = await connectAgent({ url: cluster.url, apiKey: key, sessionId: 'shared-run' });
    await agent.decide({ event_id: 'shared-1', kind: 'tool', tool: 'fs.read', input: { path: '/etc/hosts' } });
    sessionId = agent.session!;
    await agent.close();
  }, SETUP_MS);

  afterAll(async () => {
    await closeAgents();
    await cluster?.close();
    await db?.drop();
  });

  /** Sends `requests` at once, each on its own connection through the balancer; checks all instances took some. */
  async function spread<T>(requests: (() => Promise<T>)[]): Promise<T[]> {
    const before = cluster.instances.map((p) => cluster.balancer.acceptedBy(p.url));
    const results = await Promise.all(requests.map((r) => r()));
    const after = cluster.instances.map((p) => cluster.balancer.acceptedBy(p.url));
    after.forEach((n, i) => expect(n - before[i]).toBeGreaterThanOrEqual(Math.floor(requests.length / cluster.instances.length)));
    return results;
  }

  it(`lets exactly ${MAX_FAILURES} of 12 concurrent wrong sign-ins on one account be checked, on any instance, then refuses even the right password everywhere`, () =>
    withServerLogs(() => cluster.history, async () => {
      const person = await createUser(new HttpClient(cluster.instances[0].url), adminToken, 'viewer');
      const attempts = await spread(
        Array.from({ length: 12 }, (_, i) => () =>
          requestOnce(cluster.url, 'POST', '/api/auth/login', { body: { email: person.email, password: `guess-${i}` }, headers: { 'x-forwarded-for': address() } }),
        ),
      );
      expect(tally(attempts, (r) => String(r.status))).toEqual({ '401': MAX_FAILURES, '429': 12 - MAX_FAILURES });
      const right = await spread(
        cluster.instances.map(() => () => requestOnce(cluster.url, 'POST', '/api/auth/login', { body: { email: person.email, password: person.password }, headers: { 'x-forwarded-for': address() } })),
      );
      expect(right.map((r) => `${r.status} ${r.body?.error?.code}`)).toEqual(cluster.instances.map(() => '429 rate_limited'));
    }),
  SCENARIO_MS);

  it(`lets exactly ${MAX_FAILURES_PER_ADDRESS} of 15 concurrent failures from one address be checked across instances`, () =>
    withServerLogs(() => cluster.history, async () => {
      const from = address();
      const attempts = await spread(
        Array.from({ length: 15 }, (_, i) => () =>
          requestOnce(cluster.url, 'POST', '/api/auth/login', { body: { email: `nobody-${i}@arbiter.test`, password: 'guess' }, headers: { 'x-forwarded-for': from } }),
        ),
      );
      expect(tally(attempts, (r) => String(r.status))).toEqual({ '401': MAX_FAILURES_PER_ADDRESS, '429': 15 - MAX_FAILURES_PER_ADDRESS });
    }),
  SCENARIO_MS);

  it(`answers exactly ${SHARE_RATE_LIMIT} of 60 concurrent public share requests from one address, across instances, and 429 to the rest`, () =>
    withServerLogs(() => cluster.history, async () => {
      const share = await requestOnce(cluster.url, 'POST', `/api/sessions/${sessionId}/shares`, { token: reviewerToken, body: {} });
      expect(share.status).toBe(201);
      const from = address();
      const answers = await spread(
        Array.from({ length: 60 }, () => () => requestOnce(cluster.url, 'GET', `/api/public/shares/${share.body.token}`, { headers: { 'x-forwarded-for': from } })),
      );
      expect(tally(answers, (r) => `${r.status}${r.status === 200 ? '' : ` ${r.body?.error?.code}`}`)).toEqual({ '200': SHARE_RATE_LIMIT, '429 rate_limited': 60 - SHARE_RATE_LIMIT });
      // Another address is not affected.
      expect((await requestOnce(cluster.url, 'GET', `/api/public/shares/${share.body.token}`, { headers: { 'x-forwarded-for': address() } })).status).toBe(200);
    }),
  SCENARIO_MS);

  it('lets exactly 10 of 100 concurrent views through a link with max_views = 10, across instances', () =>
    withServerLogs(() => cluster.history, async () => {
      const share = await requestOnce(cluster.url, 'POST', `/api/sessions/${sessionId}/shares`, { token: reviewerToken, body: { max_views: 10 } });
      expect(share.status).toBe(201);
      const answers = await spread(
        Array.from({ length: 100 }, () => () => requestOnce(cluster.url, 'POST', `/api/public/shares/${share.body.token}/views`, { headers: { 'x-forwarded-for': address() } })),
      );
      expect(tally(answers, (r) => `${r.status}${r.status === 200 ? '' : ` ${r.body?.error?.code}`}`)).toEqual({ '200': 10, '410 view_limit_reached': 90 });
      expect(answers.filter((r) => r.status === 200).map((r) => r.body.share.view_count).sort((x: number, y: number) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const stored = await db.pool.query('SELECT view_count, (SELECT count(*)::int FROM share_views WHERE share_id = $1) AS logged FROM share_links WHERE id = $1', [share.body.id]);
      expect(stored.rows[0]).toEqual({ view_count: 10, logged: 10 });
    }),
  SCENARIO_MS);
});

describe('docker-compose.yml and deploy/nginx.conf describe the topology these tests run', () => {
  const compose = readFileSync(path.join(projectRoot(), 'docker-compose.yml'), 'utf8');
  const nginx = readFileSync(path.join(projectRoot(), 'deploy/nginx.conf'), 'utf8');
  /** The top-level block of one compose service (two-space indented name, until the next one). */
  const service = (name: string) => new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)*)`, 'm').exec(compose)?.[1] ?? '';

  it('runs a one-shot migration that the instances wait for', () => {
    const migrate = service('migrate');
    expect(migrate).toMatch(/command: \[.*"db:migrate".*\]/);
    expect(migrate).toMatch(/restart: "no"/);
    expect(compose).toMatch(/migrate:\n\s+condition: service_completed_successfully/);
    expect(compose).not.toMatch(/ARBITER_MIGRATE_ON_START: "?true/);
  });

  it('runs several stateless replicas of one image on one database, each with its own instance id, stopped gracefully', () => {
    const replicas = [...compose.matchAll(/^  (arbiter-\d+):\n\s+<<: \*arbiter\n/gm)].map((m) => m[1]);
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    const ids = replicas.map((r) => /ARBITER_INSTANCE_ID: (\S+)/.exec(service(r))?.[1]);
    expect(new Set(ids).size).toBe(replicas.length);
    expect(compose).toMatch(/x-arbiter-environment:[\s\S]*DATABASE_URL: \*database-url/);
    // The readiness probe is /readyz (database and LISTEN up), and the stop grace outlasts Arbiter's own drain limit.
    expect(compose).toMatch(/127\.0\.0\.1:3000\/readyz/);
    const grace = Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1]) * 1000;
    const drain = Number(/ARBITER_SHUTDOWN_TIMEOUT_MS: "(\d+)"/.exec(compose)?.[1]);
    expect(grace).toBeGreaterThan(drain);
    expect(drain).toBeLessThanOrEqual(10_000);
    expect(compose).toMatch(/init: true/);
  });

  it('puts a load balancer in front that spreads over every replica and passes WebSocket upgrades', () => {
    const replicas = [...compose.matchAll(/^  (arbiter-\d+):\n\s+<<: \*arbiter\n/gm)].map((m) => m[1]);
    const upstream = /upstream arbiter \{([\s\S]*?)\}/.exec(nginx)?.[1] ?? '';
    for (const r of replicas) expect(upstream).toMatch(new RegExp(`server ${r}:3000`));
    expect(upstream).not.toMatch(/ip_hash|hash |sticky/);
    expect(nginx).toMatch(/proxy_http_version 1\.1;/);
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(nginx).toMatch(/location \/ws \{[\s\S]*?proxy_read_timeout (\d+)s;/);
    expect(nginx).toMatch(/proxy_next_upstream error/);
    expect(compose).toMatch(/TRUST_PROXY: "1"/);
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });
});
