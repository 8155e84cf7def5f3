/**
 * `npm run bench`: measures Arbiter against the machine's own floor, side by side, in one run (issue 8).
 * Prints the machine, a table for people and one JSON line per figure. Exits non-zero only when a run could not be
 * completed. Knobs: BENCH_SECONDS (each timed load phase, default 10), BENCH_SEQUENTIAL (events for the one-agent
 * latency, default 2000), BENCH_REVIEWS (default 500), BENCH_SESSIONS (idle sessions for figure 4, default 20,000
 * or what the open-files limit allows), BENCH_LOGIN_WORKERS (default 2), BENCH_NODE_ARGS (extra node flags for the
 * Arbiter processes, e.g. --cpu-prof), BENCH_LOGIN_SECONDS (time allowed for figure 4's logins, default 90),
 * BENCH_FIGURES (which figures to run, e.g. 2,3; all by default), BENCH_HOSTILE (hostile sockets of each kind for
 * figure 6, default 4), BENCH_HOSTILE_KINDS (which: max_size,max_nesting,regex), BENCH_MCP_CALLS (figure 7, default 500), BENCH_OVERVIEW_EVENTS (figure 8, default 1,000,000), BENCH_INBOX_PENDING / BENCH_INBOX_RATE / BENCH_INBOX_SECONDS (figure 9: reviews on screen, arrivals per second and for how long; 1000, 20, 15), DATABASE_URL (use that server instead of an embedded one).
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { closePool } from '../src/infra/database/close-pool.js';
import { RawAgent, closedLoop, connectAgents, sequential } from './lib/agent.js';
import { type BenchDatabase, createBenchDatabase } from './lib/database.js';
import type { HostileKind } from './lib/hostile.js';
import { measureDashboard } from './dashboard.js';
import { measureMcpGateway } from './mcp-gateway.js';
import { measureOverview } from './overview.js';
import { BENCH_ADMIN, type Child, HttpError, api, closeTimedRequests, startArbiter, startFloorServer, timedRequest } from './lib/processes.js';
import { cpuSeconds, nowMs, quantile, rssBytes, sleep, summary } from './lib/stats.js';

const int = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SECONDS = int('BENCH_SECONDS', 10);
const SEQUENTIAL = int('BENCH_SEQUENTIAL', 2000);
const REVIEWS = int('BENCH_REVIEWS', 500);
const AGENTS = 64;
const VIEWERS = 32;
const LOGIN_WORKERS = int('BENCH_LOGIN_WORKERS', 2);
const LOGIN_SECONDS = int('BENCH_LOGIN_SECONDS', 90);
/** Which figures to run (BENCH_FIGURES=2,3), all by default; 1 and 5 come from the same run. */
const FIGURES = new Set((process.env.BENCH_FIGURES ?? '1,2,3,4,5,6,7,8,9').split(',').map((f) => f.trim()));
const HOSTILE = int('BENCH_HOSTILE', 4);
const HOSTILE_KINDS = (process.env.BENCH_HOSTILE_KINDS ?? 'max_size,max_nesting,regex').split(',').map((k) => k.trim()) as HostileKind[];
/** Well-behaved agents whose verdict p99 figure 6 compares with and without hostile neighbours. */
const ISOLATED_AGENTS = 16;
const wanted = (...n: string[]) => n.some((f) => FIGURES.has(f));

function openFilesLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || Infinity;
  } catch {
    return Infinity;
  }
}
// The Arbiter process needs one descriptor per socket plus its own (database pool, listeners, files).
const FD_HEADROOM = 300;
const SESSIONS_WANTED = int('BENCH_SESSIONS', 20_000);
const SESSIONS = Math.min(SESSIONS_WANTED, openFilesLimit() - FD_HEADROOM - AGENTS);

interface Figure {
  figure: string;
  label: string;
  value: number | boolean | null;
  unit: string;
  floor: number | null;
  floorLabel: string;
  ratio: number | null;
  goal: string;
  met: boolean | null;
  note?: string;
}
const figures: Figure[] = [];
const notes: string[] = [];
let failed = false;

const round = (v: number, digits = 3) => Number(v.toFixed(digits));
function add(f: Omit<Figure, 'ratio'> & { ratio?: number | null }): void {
  const ratio = f.ratio !== undefined ? f.ratio : typeof f.value === 'number' && f.floor ? round(f.value / f.floor) : null;
  figures.push({ ...f, value: typeof f.value === 'number' ? round(f.value) : f.value, floor: f.floor === null ? null : round(f.floor), ratio });
}
function notMeasured(figure: string, label: string, goal: string, reason: string): void {
  figures.push({ figure, label, value: null, unit: '', floor: null, floorLabel: '', ratio: null, goal, met: null, note: `not measured: ${reason}` });
}
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function adminToken(url: string): Promise<string> {
  return (await api<{ token: string }>(url, 'POST', '/api/auth/login', BENCH_ADMIN)).token;
}

async function projectWithKey(url: string, token: string, mode: string, rules: unknown[], defaultAction = 'allow'): Promise<{ id: string; key: string }> {
  const project = await api<{ id: string }>(url, 'POST', '/api/projects', { name: `bench-${mode}-${Date.now()}`, mode }, token);
  await api(url, 'PUT', `/api/projects/${project.id}/rules`, { default_action: defaultAction, rules }, token);
  const key = await api<{ key: string }>(url, 'POST', `/api/projects/${project.id}/api-keys`, { name: 'bench' }, token);
  return { id: project.id, key: key.key };
}

const BLOCK_RULES = [
  { tool: 'shell.exec', input_pattern: 'rm -rf', action: 'block', reason: 'destructive command' },
  { tool: 'shell.exec', input_pattern: 'curl .*\\| *sh', action: 'block', reason: 'pipe to shell' },
  { tool: 'http.*', action: 'allow' },
  { kind: 'llm', action: 'allow' },
];

async function closeAll(agents: RawAgent[]): Promise<void> {
  await Promise.all(agents.map((a) => a.close()));
}

// ---------------------------------------------------------------------------------------------------------- floors

interface WsFloor {
  seq: { p50: number; p99: number };
  rate: number;
  concurrentP99: number;
  cpuMsPerMsg: number;
}

async function wsInsertFloor(db: BenchDatabase): Promise<WsFloor> {
  const server = await startFloorServer(db.url);
  try {
    const [one] = await connectAgents(server.url, 'none', 'floor-seq', 1, false);
    await sequential(one, 'warm', 200);
    const seq = summary(await sequential(one, 'seq', SEQUENTIAL));
    const agents = await connectAgents(server.url, 'none', 'floor', AGENTS, false);
    await closedLoop(agents, 'warm', 1);
    const cpu0 = cpuSeconds(server.pid);
    const run = await closedLoop(agents, 'load', SECONDS);
    const cpu = cpuSeconds(server.pid) - cpu0;
    await closeAll([one, ...agents]);
    return { seq, rate: run.events / run.elapsedS, concurrentP99: quantile(run.latencies, 0.99), cpuMsPerMsg: (cpu * 1000) / run.events };
  } finally {
    await server.stop();
  }
}

async function notifyFloor(pool: pg.Pool, count: number): Promise<{ p50: number; p99: number }> {
  const listener = await pool.connect();
  const sender = await pool.connect();
  try {
    let waiting: ((at: number) => void) | undefined;
    listener.on('notification', () => waiting?.(nowMs()));
    await listener.query('LISTEN bench_floor');
    const latencies: number[] = [];
    for (let i = 0; i < count + 50; i++) {
      const arrived = new Promise<number>((resolve) => (waiting = resolve));
      const t0 = nowMs();
      await sender.query(`SELECT pg_notify('bench_floor', $1)`, [String(i)]);
      const at = await arrived;
      if (i >= 50) latencies.push(at - t0);
    }
    await listener.query('UNLISTEN bench_floor');
    return summary(latencies);
  } finally {
    listener.release();
    sender.release();
  }
}

async function updateFloor(url: string): Promise<{ rate: number; p99: number; exact: boolean }> {
  const clients = await Promise.all(Array.from({ length: VIEWERS }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  try {
    await clients[0].query(`INSERT INTO bench_floor_shares (id, view_count, max_views) VALUES (1, 0, 1000000000), (2, 0, 100)`);
    const sql = 'UPDATE bench_floor_shares SET view_count = view_count + 1 WHERE id = $1 AND view_count < max_views RETURNING view_count';
    const latencies: number[] = [];
    const start = nowMs();
    const end = start + SECONDS * 1000;
    let done = 0;
    await Promise.all(clients.map(async (c) => {
      while (nowMs() < end) {
        const t0 = nowMs();
        await c.query(sql, [1]);
        latencies.push(nowMs() - t0);
        done++;
      }
    }));
    const rate = done / ((nowMs() - start) / 1000);
    let granted = 0;
    await Promise.all(clients.map(async (c) => {
      for (let i = 0; i < 10; i++) {
        const n = (await c.query(sql, [2])).rowCount ?? 0;
        granted += n;
      }
    }));
    return { rate, p99: quantile(latencies, 0.99), exact: granted === 100 };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

// --------------------------------------------------------------------------------------------------------- figures

/** How many times a project was throttled on the instance (arbiter_ws_project_throttles_total on its /metrics). */
async function projectThrottles(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^arbiter_ws_project_throttles_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function figure1and5(a: Child, key: string, floor: WsFloor): Promise<void> {
  const [one] = await connectAgents(a.url, key, 'seq', 1);
  await sequential(one, 'warm', 200);
  const seq = summary(await sequential(one, 'seq', SEQUENTIAL));
  const agents = await connectAgents(a.url, key, 'agent', AGENTS);
  await closedLoop(agents, 'warm', 1);
  const cpu0 = cpuSeconds(a.pid);
  const run = await closedLoop(agents, 'load', SECONDS);
  const cpu = cpuSeconds(a.pid) - cpu0;
  await closeAll(agents);
  const throttles = await projectThrottles(a.url);
  const rate = run.events / run.elapsedS;
  const concurrentP99 = quantile(run.latencies, 0.99);
  add({ figure: 'verdict_p50_ms', label: 'verdict p50, 1 agent sequential', value: seq.p50, unit: 'ms', floor: floor.seq.p50, floorLabel: 'ws+INSERT p50', goal: 'informative', met: null });
  add({ figure: 'verdict_p99_ms', label: 'verdict p99, 1 agent sequential', value: seq.p99, unit: 'ms', floor: floor.seq.p99, floorLabel: 'ws+INSERT p99', goal: '≤3x floor', met: seq.p99 <= 3 * floor.seq.p99 });
  add({ figure: 'verdict_throughput', label: `verdicts/s, ${AGENTS} agents, ${SECONDS} s`, value: rate, unit: 'events/s', floor: floor.rate, floorLabel: 'ws+INSERT msgs/s', goal: '≥0.5x floor', met: rate >= 0.5 * floor.rate, note: `one project; throttled ${throttles} times (ARBITER_WS_PROJECT_*)` });
  add({ figure: 'verdict_p99_64_agents_ms', label: `verdict p99, ${AGENTS} agents`, value: concurrentP99, unit: 'ms', floor: floor.concurrentP99, floorLabel: 'ws+INSERT p99, 64 clients', goal: '≤3x floor', met: concurrentP99 <= 3 * floor.concurrentP99 });
  add({ figure: 'cpu_ms_per_event', label: 'server CPU per verdict (during the 64-agent run)', value: (cpu * 1000) / run.events, unit: 'ms CPU', floor: floor.cpuMsPerMsg, floorLabel: 'floor server CPU per msg', goal: 'informative', met: null });
  await one.close();
}

/**
 * Decisions made before the measured ones: the measured ones should meet a warm server (its request pipeline
 * optimised by V8, prepared statements on every pooled connection), as a long-running one is. In a run of 4,000
 * decisions the p50 of each 250 fell from 4.3 ms (the first) through 3.2 ms (at 500) to a plateau of 2.3-2.7 ms
 * from about 1,000 on, so the first 1,000 are not counted.
 */
const DECISION_WARMUP = 1000;

async function figure2(a: Child, b: Child, tokenA: string, tokenB: string, notify: { p50: number; p99: number }): Promise<void> {
  const goalP50 = '≤2 ms';
  const goalP99 = '≤10 ms';
  const { key } = await projectWithKey(a.url, tokenA, 'hitl', [{ tool: 'deploy.*', action: 'review', reason: 'deploys need a person' }]);
  const agent = await RawAgent.connect(a.url, key, 'review-agent');
  const latencies: number[] = [];
  const responses: number[] = [];
  try {
    for (let i = 0; i < DECISION_WARMUP + REVIEWS; i++) {
      let decidedAt = 0;
      let respondedAt = 0;
      let decision: Promise<unknown> = Promise.resolve();
      const sentAt = nowMs();
      const verdict = agent.decide(`review-${i}`, { kind: 'tool', tool: 'deploy.production', input: { build: i } }, (reviewId) => {
        decidedAt = nowMs();
        decision = timedRequest(b.url, 'POST', `/api/reviews/${reviewId}/decision`, { decision: 'approve' }, tokenB).then((res) => {
          respondedAt = nowMs();
          if (res.status !== 200) throw new HttpError(res.status, `POST /api/reviews/${reviewId}/decision answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
        });
      });
      const ms = await Promise.race([verdict, sleep(15_000).then(() => { throw new Error('no verdict within 15 s of the decision'); })]);
      await decision;
      if (i >= DECISION_WARMUP) {
        latencies.push(sentAt + ms - decidedAt);
        responses.push(respondedAt - decidedAt);
      }
    }
  } catch (err) {
    await agent.close();
    if (err instanceof HttpError && err.status === 404) {
      notMeasured('decision_p50_ms', 'cross-instance decision p50', goalP50, `the reviews API is not there yet (${err.message})`);
      notMeasured('decision_p99_ms', 'cross-instance decision p99', goalP99, 'same');
      notes.push(`NOTIFY floor measured anyway: p50 ${notify.p50.toFixed(3)} ms, p99 ${notify.p99.toFixed(3)} ms`);
      return;
    }
    throw err;
  }
  await agent.close();
  const s = summary(latencies);
  const r = summary(responses);
  notes.push(`decision POST answered on instance B: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (the verdict reaches the agent on A after the commit, so it can arrive before the answer)`);
  add({ figure: 'decision_p50_ms', label: `cross-instance decision p50 (${REVIEWS} reviews after ${DECISION_WARMUP})`, value: s.p50, unit: 'ms', floor: notify.p50, floorLabel: 'NOTIFY p50', goal: goalP50, met: s.p50 <= 2 });
  add({ figure: 'decision_p99_ms', label: 'cross-instance decision p99', value: s.p99, unit: 'ms', floor: notify.p99, floorLabel: 'NOTIFY p99', goal: goalP99, met: s.p99 <= 10 });
}

async function figure3(a: Child, token: string, sessionId: string, pool: pg.Pool, floor: { rate: number; p99: number; exact: boolean }): Promise<void> {
  const hot = await api<{ token: string; id: string }>(a.url, 'POST', `/api/sessions/${sessionId}/shares`, { max_views: 1_000_000 }, token);
  // node:http on kept-alive connections, not fetch: the load generator shares the cores with what it measures, and
  // fetch costs several times the CPU per request (the floor's clients are bare pg connections).
  const agent = new http.Agent({ keepAlive: true, maxSockets: VIEWERS });
  const view = (t: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${a.url}/api/public/shares/${t}/views`, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 50; i++) await view(hot.token);
  const latencies: number[] = [];
  let ok = 0;
  let other = 0;
  const start = nowMs();
  const end = start + SECONDS * 1000;
  await Promise.all(Array.from({ length: VIEWERS }, async () => {
    while (nowMs() < end) {
      const t0 = nowMs();
      const status = await view(hot.token);
      latencies.push(nowMs() - t0);
      if (status === 200) ok++;
      else other++;
    }
  }));
  const rate = ok / ((nowMs() - start) / 1000);
  if (other) notes.push(`hot share: ${other} views answered something other than 200`);
  // Exactness: 32 viewers race 320 requests for a link that allows 100 views.
  const limited = await api<{ token: string; id: string }>(a.url, 'POST', `/api/sessions/${sessionId}/shares`, { max_views: 100 }, token);
  const statuses = (await Promise.all(Array.from({ length: VIEWERS }, async () => {
    const got: number[] = [];
    for (let i = 0; i < 10; i++) got.push(await view(limited.token));
    return got;
  }))).flat();
  const granted = statuses.filter((s) => s === 200).length;
  const { rows } = await pool.query<{ view_count: number; logged: number }>(
    'SELECT view_count, (SELECT count(*) FROM share_views WHERE share_id = $1::uuid)::int AS logged FROM share_links WHERE id = $1::uuid', [limited.id]);
  const exact = granted === 100 && rows[0]?.view_count === 100 && rows[0]?.logged === 100;
  agent.destroy();
  add({ figure: 'share_views_per_s', label: `hot share views/s, ${VIEWERS} viewers`, value: rate, unit: 'views/s', floor: floor.rate, floorLabel: 'bare conditional UPDATE/s', goal: '≥0.6x floor', met: rate >= 0.6 * floor.rate && exact });
  add({ figure: 'share_view_p99_ms', label: 'hot share view p99', value: quantile(latencies, 0.99), unit: 'ms', floor: floor.p99, floorLabel: 'bare UPDATE p99', goal: 'informative', met: null });
  add({ figure: 'share_view_limit_exact', label: 'view limit exact (100 of 320 racing)', value: exact, unit: '', floor: null, floorLabel: `floor exact: ${floor.exact}`, ratio: null, goal: 'exact', met: exact, note: `granted ${granted}, view_count ${rows[0]?.view_count}, logged ${rows[0]?.logged}` });
}

/**
 * Source addresses for figure 4's client sockets, four per login worker (all loopback). From 127.0.0.1 alone, 20,000
 * connections to one server port (and the previous run's TIME_WAIT ones) crowd one ephemeral port range, and the
 * kernel's search for a free port made connect() the workers' largest cost: the load generator, not Arbiter, set the
 * login rate, and it fell from run to run.
 */
const LOGIN_SOURCE_ADDRESSES = Array.from({ length: 4 * Math.max(1, LOGIN_WORKERS) }, (_, i) => `127.0.0.${2 + i}`);

async function figure4(db: BenchDatabase, dataDir: string): Promise<void> {
  const c = await startArbiter('arbiter-c', db.url, dataDir);
  const workers: ReturnType<typeof fork>[] = [];
  try {
    const token = await adminToken(c.url);
    const { key } = await projectWithKey(c.url, token, 'block', BLOCK_RULES);
    const active = await connectAgents(c.url, key, 'active', AGENTS);
    await closedLoop(active, 'warm', 1);
    const half = Math.max(2, Math.round(SECONDS / 2));
    const baseline = await closedLoop(active, 'base', half);
    const baseP99 = quantile(baseline.latencies, 0.99);
    await sleep(1000);
    const rssBefore = rssBytes(c.pid);
    const perWorker = Math.ceil(SESSIONS / LOGIN_WORKERS);
    const here = path.dirname(new URL(import.meta.url).pathname);
    const results = await Promise.all(Array.from({ length: LOGIN_WORKERS }, (_, w) => {
      const worker = fork(path.join(here, 'idle-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(worker);
      const count = Math.min(perWorker, SESSIONS - w * perWorker);
      return new Promise<{ ok: number; failed: number; firstError?: string; ms: number }>((resolve, reject) => {
        worker.on('message', (m: { type: string; ok: number; failed: number; firstError?: string; ms: number }) => m.type === 'logged_in' && resolve(m));
        worker.once('exit', (code) => reject(new Error(`login worker ${w} exited with ${code}`)));
        worker.send({ type: 'login', url: c.url, apiKey: key, prefix: `idle-${w}`, count, parallel: 64, seconds: LOGIN_SECONDS, localAddresses: LOGIN_SOURCE_ADDRESSES.slice(w * 4, w * 4 + 4) });
      });
    }));
    const reached = results.reduce((s, r) => s + r.ok, 0);
    const loginFailures = results.reduce((s, r) => s + r.failed, 0);
    const loginSeconds = Math.max(...results.map((r) => r.ms)) / 1000;
    await sleep(3000);
    const rssAfter = rssBytes(c.pid);
    const loaded = await closedLoop(active, 'loaded', half);
    const loadedP99 = quantile(loaded.latencies, 0.99);
    await closeAll(active);
    const capped = SESSIONS < SESSIONS_WANTED ? `; asked ${SESSIONS_WANTED}, but the open-files limit ${openFilesLimit()} caps one process below that` : '';
    const why = reached + loginFailures < SESSIONS ? `${capped}; stopped starting logins after BENCH_LOGIN_SECONDS=${LOGIN_SECONDS} s` : capped;
    const failures = loginFailures ? `; ${loginFailures} logins failed, first: ${results.find((r) => r.firstError)?.firstError}` : '';
    add({ figure: 'idle_sessions', label: 'idle sessions logged in on one instance', value: reached, unit: 'sessions', floor: null, floorLabel: '', ratio: null, goal: '20000', met: reached >= 20_000, note: `tried ${SESSIONS}${why}${failures}` });
    add({ figure: 'logins_per_s', label: `logins/s (${LOGIN_WORKERS} client processes)`, value: reached / loginSeconds, unit: 'logins/s', floor: null, floorLabel: '', ratio: null, goal: '≥2000/s', met: reached / loginSeconds >= 2000 });
    const perSession = (rssAfter - rssBefore) / 1024 / Math.max(1, reached);
    add({ figure: 'rss_per_idle_session_kib', label: 'server RSS per idle session', value: perSession, unit: 'KiB', floor: null, floorLabel: '', ratio: null, goal: '≤10 KiB', met: perSession <= 10, note: `RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB` });
    add({ figure: 'active_p99_with_idle_ms', label: `verdict p99, ${AGENTS} active + ${reached} idle`, value: loadedP99, unit: 'ms', floor: baseP99, floorLabel: 'same, no idle sessions', goal: '≤1.5x', met: loadedP99 <= 1.5 * baseP99, note: `${(loaded.events / loaded.elapsedS).toFixed(0)} events/s with idle vs ${(baseline.events / baseline.elapsedS).toFixed(0)} without` });
  } finally {
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      if (w.exitCode !== null) return resolve();
      w.once('exit', () => resolve());
      w.send({ type: 'close' });
      setTimeout(() => w.kill('SIGKILL'), 20_000).unref();
    })));
    await c.stop();
  }
}

/**
 * Figure 6, isolation: the verdict p99 of well-behaved agents (another project) while other connections on the same
 * instance send the worst inputs the protocol allows as fast as it takes them (maximum-size frames, inputs nested
 * 20,000 deep, and inputs that make a catastrophic pattern backtrack on a backtracking engine), against the same
 * agents alone; and the instance's peak RSS meanwhile.
 */
async function figure6(db: BenchDatabase, dataDir: string): Promise<void> {
  const d = await startArbiter('arbiter-d', db.url, dataDir);
  try {
    const token = await adminToken(d.url);
    const { key } = await projectWithKey(d.url, token, 'block', BLOCK_RULES);
    const { key: hostileKey } = await projectWithKey(d.url, token, 'block', [
      { tool: 'shell.exec', input_pattern: '(\\w+\\s?)+$', action: 'block', reason: 'catastrophic on a backtracking engine' },
    ]);
    const agents = await connectAgents(d.url, key, 'isolated', ISOLATED_AGENTS);
    await closedLoop(agents, 'warm', 1);
    const half = Math.max(2, Math.round(SECONDS / 2));
    const alone = await closedLoop(agents, 'alone', half);
    const aloneP99 = quantile(alone.latencies, 0.99);
    const rssBefore = rssBytes(d.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(d.pid))), 50);
    let sent: Record<string, number>;
    let attacked: Awaited<ReturnType<typeof closedLoop>>;
    // Its own process: building and sending the hostile frames must not delay the measured agents' event loop.
    const worker = fork(path.join(path.dirname(new URL(import.meta.url).pathname), 'hostile-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const reply = (type: string) =>
      new Promise<{ type: string; sent?: Record<string, number>; message?: string }>((resolve, reject) => {
        const onMessage = (m: { type: string; message?: string }) => {
          if (m.type === 'failed') reject(new Error(`hostile worker: ${m.message}`));
          else if (m.type === type) resolve(m);
          else return;
          worker.off('message', onMessage);
        };
        worker.on('message', onMessage);
        worker.once('exit', (code) => reject(new Error(`hostile worker exited with ${code}`)));
      });
    try {
      const started = reply('started');
      worker.send({ type: 'start', url: d.url, apiKey: hostileKey, perKind: HOSTILE, kinds: HOSTILE_KINDS });
      await started;
      attacked = await closedLoop(agents, 'attacked', half);
      const stopped = reply('stopped');
      worker.send({ type: 'stop' });
      sent = (await stopped).sent ?? {};
    } finally {
      clearInterval(sampler);
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
    await closeAll(agents);
    const throttles = await projectThrottles(d.url);
    const attackedP99 = quantile(attacked.latencies, 0.99);
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    const what = `${HOSTILE} sockets each of 64 KiB frames, inputs nested 20,000 deep and (\\w+\\s?)+$ bait; frames sent: ${Object.entries(sent).map(([k, n]) => `${k} ${n}`).join(', ')}`;
    add({
      figure: 'isolation_p99_ms',
      label: `verdict p99, ${ISOLATED_AGENTS} agents beside hostile ones`,
      value: attackedP99,
      unit: 'ms',
      floor: aloneP99,
      floorLabel: 'same agents alone',
      goal: '≤1.5x',
      met: attackedP99 <= 1.5 * aloneP99,
      note: `${what}; ${(attacked.events / attacked.elapsedS).toFixed(0)} verdicts/s beside them vs ${(alone.events / alone.elapsedS).toFixed(0)} alone; hostile project throttled ${throttles} times`,
    });
    add({ figure: 'isolation_peak_rss_mib', label: 'server peak RSS beside hostile agents', value: rssPeak / 2 ** 20, unit: 'MiB', floor: rssBefore / 2 ** 20, floorLabel: 'RSS before', goal: 'informative', met: null, note: `RSS ${mib(rssBefore)} before, peak ${mib(rssPeak)}` });
  } finally {
    await d.stop();
  }
}

async function figure7(a: Child, token: string): Promise<void> {
  const { key } = await projectWithKey(a.url, token, 'block', [{ kind: 'tool', tool: 'fx.*', action: 'allow' }]);
  const m = await measureMcpGateway(a.url, key, int('BENCH_MCP_CALLS', 500));
  const note = `${m.calls} sequential echo calls each way, interleaved; direct p50 ${m.direct.p50.toFixed(2)} / p99 ${m.direct.p99.toFixed(2)} ms, through the gateway ${m.gateway.p50.toFixed(2)} / ${m.gateway.p99.toFixed(2)} ms`;
  for (const q of ['p50', 'p99'] as const) {
    const added = m.gateway[q] - m.direct[q];
    add({ figure: `mcp_gateway_added_${q}_ms`, label: `MCP tools/call ${q} added by arbiter-mcp`, value: added, unit: 'ms', floor: m.bare[q], floorLabel: `bare verdict ${q}`, goal: '≤2x floor', met: added <= 2 * m.bare[q], note });
  }
}

/** Figure 8, the overview's aggregates (bench/overview.ts), each beside a count(*) over the same events. */
async function figure8(db: BenchDatabase): Promise<void> {
  const m = await measureOverview(db.url, { events: int('BENCH_OVERVIEW_EVENTS', 1_000_000), runs: 5 });
  const note = `${m.events} events in the last 24 h, seeded by SQL in ${m.seedSeconds.toFixed(0)} s; median of 5 warm runs`;
  for (const a of m.aggregates) {
    add({ figure: `overview_${a.aggregate.replace(/[^a-z0-9]+/g, '_')}_ms`, label: `overview: ${a.aggregate}`, value: a.medianMs, unit: 'ms', floor: m.countMedianMs, floorLabel: 'count(*) same rows', goal: '≤3x floor', met: a.medianMs <= 3 * m.countMedianMs, note });
  }
}

/** Figure 9, the dashboard (bench/dashboard.ts): event to card in a browser beside event to a bare SSE client, and the inbox's first load. */
async function figure9(db: BenchDatabase, dataDir: string): Promise<void> {
  const e = await startArbiter('arbiter-e', db.url, dataDir);
  try {
    const m = await measureDashboard(e, { pending: int('BENCH_INBOX_PENDING', 1000), rate: int('BENCH_INBOX_RATE', 20), seconds: int('BENCH_INBOX_SECONDS', 15) });
    const load = `${m.pending} review cards on screen, ${m.arrivals.sent} events at ${m.arrivals.rate.toFixed(1)}/s for ${m.arrivals.seconds.toFixed(1)} s; not seen: browser ${m.browser.missing}, SSE client ${m.sse.missing}`;
    for (const q of ['p50', 'p99'] as const) {
      add({ figure: `inbox_card_${q}_ms`, label: `event to inbox card ${q} (Chromium)`, value: m.browser[q], unit: 'ms', floor: m.sse[q], floorLabel: `event to bare SSE client ${q}`, goal: 'informative', met: null, note: load });
    }
    const kb = (b: number) => b / 1000;
    add({ figure: 'inbox_first_load_gzip_kb', label: 'inbox route first load, JS+CSS gzip', value: kb(m.firstLoad.inboxGzipBytes), unit: 'KB', floor: null, floorLabel: `all ${m.firstLoad.assetCount} JS+CSS assets: ${kb(m.firstLoad.allAssetsGzipBytes).toFixed(1)} KB`, ratio: null, goal: '≤250 KB', met: m.firstLoad.inboxGzipBytes <= 250_000, note: `fetched for /reviews: ${m.firstLoad.files.join(', ')}` });
  } finally {
    await e.stop();
  }
}

// ------------------------------------------------------------------------------------------------------------ main

function printResults(machine: string): void {
  console.log(`\nmachine: ${machine}\n`);
  const fmt = (v: number | boolean | null) => (v === null ? '—' : typeof v === 'boolean' ? String(v) : v >= 100 ? v.toFixed(0) : v.toFixed(3));
  const rows = figures.map((f) => [
    f.label,
    f.value === null ? '—' : `${fmt(f.value)} ${f.unit}`.trim(),
    f.floor === null ? (f.floorLabel || '—') : `${fmt(f.floor)} (${f.floorLabel})`,
    f.ratio === null ? '—' : `${f.ratio.toFixed(2)}x`,
    f.goal,
    f.met === null ? (f.note?.startsWith('not measured') ? 'NOT MEASURED' : '—') : f.met ? 'met' : 'MISSED',
  ]);
  const head = ['figure', 'Arbiter', 'floor', 'ratio', 'goal', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  for (const f of figures) if (f.note) console.log(`  ${f.figure}: ${f.note}`);
  for (const n of notes) console.log(`  note: ${n}`);
  console.log('');
  for (const f of figures) {
    const { label: _label, floorLabel: _fl, ...json } = f;
    console.log(JSON.stringify({ ...json, machine }));
  }
}

async function main(): Promise<void> {
  const started = nowMs();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'arbiter-bench-data-'));
  log('preparing the database');
  const db = await createBenchDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // An idle connection's error (the server going away) must end in the report, not in an unhandled 'error' event.
  pool.on('error', (err) => {
    failed = true;
    notes.push(`the bench's own database connection failed: ${err.message}`);
    log(`the bench's own database connection failed: ${err.message}`);
  });
  const children: Child[] = [];
  let machine = '';
  try {
    const info = await pool.query<{ v: string; sc: string }>(`SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc`);
    machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, node ${process.version}, PostgreSQL ${info.rows[0].v} (${db.kind}), synchronous_commit=${info.rows[0].sc}`;
    log(machine);
    await pool.query(`CREATE TABLE bench_floor_events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), event_id text NOT NULL, payload jsonb NOT NULL)`);
    await pool.query(`CREATE TABLE bench_floor_shares (id int PRIMARY KEY, view_count int NOT NULL, max_views int NOT NULL)`);

    const floor = async <T>(figure: boolean, name: string, fn: () => Promise<T>): Promise<T | undefined> => {
      if (!figure) return undefined;
      log(`floor: ${name}`);
      return fn();
    };
    const wsFloor = await floor(wanted('1', '5'), 'bare ws server + INSERT', () => wsInsertFloor(db));
    const notify = await floor(wanted('2'), 'NOTIFY between two connections', () => notifyFloor(pool, REVIEWS));
    const update = await floor(wanted('3'), 'bare conditional UPDATE from 32 connections', () => updateFloor(db.url));

    log('starting Arbiter instances A and B');
    const a = await startArbiter('arbiter-a', db.url, dataDir);
    children.push(a);
    const b = await startArbiter('arbiter-b', db.url, dataDir);
    children.push(b);
    const tokenA = await adminToken(a.url);
    const tokenB = await adminToken(b.url);
    const { key } = await projectWithKey(a.url, tokenA, 'block', BLOCK_RULES);

    const guarded = async (name: string, fn: () => Promise<unknown>) => {
      try {
        log(name);
        await fn();
      } catch (err) {
        failed = true;
        notes.push(`${name} could not be completed: ${(err as Error).message}`);
        log(`${name} FAILED: ${(err as Error).stack}`);
      }
    };
    if (wsFloor) await guarded('figure 1 + 5: verdict round trip and CPU per event', () => figure1and5(a, key, wsFloor));
    if (notify) await guarded('figure 2: cross-instance human decision', () => figure2(a, b, tokenA, tokenB, notify));
    if (update) await guarded('figure 3: hot share link', async () => {
      // The shared transcript is a typical short session: 10 events with their verdicts.
      const [agent] = await connectAgents(a.url, key, 'shared', 1);
      await sequential(agent, 'shared', 10);
      await agent.close();
      await figure3(a, tokenA, agent.session, pool, update);
    });
    if (wanted('7')) await guarded('figure 7: tools/call through the MCP gateway', () => figure7(a, tokenA));
    await Promise.all([a.stop(), b.stop()]);
    children.length = 0;
    if (wanted('4')) await guarded(`figure 4: ${SESSIONS} idle sessions on one instance`, () => figure4(db, dataDir));
    if (wanted('6')) await guarded('figure 6: isolation from hostile agents on the same instance', () => figure6(db, dataDir));
    if (wanted('8')) await guarded('figure 8: the overview aggregates on a large table', () => figure8(db));
    if (wanted('9')) await guarded('figure 9: the dashboard, event to inbox card and first load', () => figure9(db, dataDir));
    notes.push(`load generated from this process (figures 1-3) and ${LOGIN_WORKERS} forked processes (figure 4 logins) on the same cores as the servers and PostgreSQL; whole run ${((nowMs() - started) / 1000).toFixed(0)} s`);
  } catch (err) {
    failed = true;
    notes.push(`run aborted: ${(err as Error).message}`);
    log(`aborted: ${(err as Error).stack}`);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    closeTimedRequests();
    await closePool(pool);
    await db.drop().catch((err: Error) => log(`could not drop the bench database: ${err.message}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
  printResults(machine);
  process.exitCode = failed ? 1 : 0;
}

void main();
