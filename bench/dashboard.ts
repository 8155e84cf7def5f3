/**
 * Figure 9, the dashboard: how long a new review takes from the agent sending its event to its card being in the
 * inbox's DOM in a real browser (with 1,000 pending reviews already on screen and 20 arriving per second), beside the
 * floor of the same events reaching a plain SSE client on /api/stream (Node, no browser); and the inbox route's first
 * load, the gzip size of the JS and CSS the browser fetched for /reviews.
 *
 * Clocks: the agent, the SSE client and the browser run on one machine. Each side stamps with
 * performance.timeOrigin + performance.now() (wall-clock origin, monotonic after it), in Node and in the page, so
 * the two are comparable to well under a millisecond without sending every mutation back over the DevTools pipe.
 */
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { RawAgent } from './lib/agent.js';
import { BENCH_ADMIN, type Child, api } from './lib/processes.js';
import { sleep, summary } from './lib/stats.js';

const wallMs = () => performance.timeOrigin + performance.now();
const webDist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web/dist');

export interface DashboardFigures {
  pending: number;
  arrivals: { sent: number; rate: number; seconds: number };
  browser: { n: number; p50: number; p99: number; missing: number };
  sse: { n: number; p50: number; p99: number; missing: number };
  firstLoad: { inboxGzipBytes: number; files: string[]; allAssetsGzipBytes: number; assetCount: number };
}

/** The gzip size (level 9, as a CDN or the reverse proxy would serve it) of each JS and CSS file in web/dist. */
function gzipSizes(): Map<string, number> {
  const sizes = new Map<string, number>();
  const assets = path.join(webDist, 'assets');
  for (const name of readdirSync(assets)) {
    if (/\.(js|css)$/.test(name)) sizes.set(`/assets/${name}`, gzipSync(readFileSync(path.join(assets, name)), { level: 9 }).length);
  }
  return sizes;
}

/** A bare SSE reader on /api/stream: the first time each `deploy.ev<n>x` appears in the stream, stamped. */
function sseClient(url: string, token: string, seen: Map<number, number>): { close(): void; ready: Promise<void> } {
  let req: http.ClientRequest;
  const ready = new Promise<void>((resolve, reject) => {
    req = http.get(`${url}/api/stream`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/api/stream answered ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = wallMs();
        for (const m of chunk.matchAll(/deploy\.ev(\d+)x/g)) if (!seen.has(Number(m[1]))) seen.set(Number(m[1]), at);
      });
      resolve();
    });
    req.on('error', reject);
  });
  return { ready, close: () => req.destroy() };
}

/** Holds `count` reviews pending: `agents` raw-protocol agents, each with count/agents events awaiting a person. */
async function holdReviews(url: string, key: string, count: number, agents: number): Promise<RawAgent[]> {
  const held: RawAgent[] = [];
  let pending = 0;
  for (let a = 0; a < agents; a++) {
    const agent = await RawAgent.connect(url, key, `inbox-seed-${a}`);
    held.push(agent);
    const share = Math.ceil(count / agents);
    for (let i = 0; i < share && a * share + i < count; i++) {
      const n = a * share + i;
      // Never settled during the run: the verdict promise is dropped when the agent closes.
      agent.decide(`seed-${n}`, { kind: 'tool', tool: `deploy.seed${n}`, input: { build: n, target: 'production' } }, () => pending++).catch(() => undefined);
    }
  }
  const deadline = Date.now() + 120_000;
  while (pending < count) {
    if (Date.now() > deadline) throw new Error(`only ${pending} of ${count} reviews pending after 120 s`);
    await sleep(100);
  }
  return held;
}

export async function measureDashboard(a: Child, opts: { pending: number; rate: number; seconds: number }): Promise<DashboardFigures> {
  const token = (await api<{ token: string }>(a.url, 'POST', '/api/auth/login', BENCH_ADMIN)).token;
  const project = await api<{ id: string }>(a.url, 'POST', '/api/projects', { name: `bench-inbox-${Date.now()}`, mode: 'hitl', review_timeout_seconds: 3600 }, token);
  await api(a.url, 'PUT', `/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [{ tool: 'deploy.*', action: 'review', reason: 'deploys need a person' }] }, token);
  const { key } = await api<{ key: string }>(a.url, 'POST', `/api/projects/${project.id}/api-keys`, { name: 'bench-inbox' }, token);
  const seeded = await holdReviews(a.url, key, opts.pending, 10);

  // playwright-core is a dev dependency: loaded only when this figure runs.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const sse = new Map<number, number>();
  const stream = sseClient(a.url, token, sse);
  const arriving: RawAgent[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const fetched = new Set<string>();
    page.on('request', (r) => {
      const p = new URL(r.url()).pathname;
      if (/^\/assets\/.*\.(js|css)$/.test(p)) fetched.add(p);
    });
    // Every text node or element added to the page is searched for the arriving events' tools, first sighting kept.
    // A string, not a function: the bench compiles without the DOM's types. The tool ends in `x` because textContent
    // runs the card's texts together (`deploy.ev12` then the project's name), so no word boundary ends the number.
    await page.addInitScript(`(() => {
      const seen = (window.__benchSeen = {});
      new MutationObserver((records) => {
        const at = performance.timeOrigin + performance.now();
        for (const r of records) {
          for (const node of r.addedNodes) {
            const text = node.textContent || '';
            if (!text.includes('deploy.ev')) continue;
            for (const m of text.matchAll(/deploy\\.ev(\\d+)x/g)) if (!(m[1] in seen)) seen[m[1]] = at;
          }
        }
      }).observe(document, { childList: true, subtree: true });
    })()`);
    await page.goto(`${a.url}/reviews`);
    await page.getByLabel('Email').fill(BENCH_ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(BENCH_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const cards = page.getByRole('feed', { name: 'Pending reviews' }).getByRole('article');
    await cards.first().waitFor({ timeout: 300_000 }).catch(async (err: Error) => {
      const text = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
      throw new Error(`no review card on ${page.url()} (page says: ${text}): ${err.message.split('\n')[0]}`);
    });
    await page.waitForLoadState('networkidle');
    const onScreen = await cards.count();
    await stream.ready;

    const sizes = gzipSizes();
    const files = [...fetched].sort();
    const inboxGzipBytes = files.reduce((s, f) => s + (sizes.get(f) ?? 0), 0);
    const allAssetsGzipBytes = [...sizes.values()].reduce((s, v) => s + v, 0);

    const agent = await RawAgent.connect(a.url, key, 'inbox-arrivals');
    arriving.push(agent);
    const sentAt = new Map<number, number>();
    const total = opts.rate * opts.seconds;
    const interval = 1000 / opts.rate;
    const start = wallMs();
    for (let n = 0; n < total; n++) {
      const due = start + n * interval;
      const wait = due - wallMs();
      if (wait > 0) await sleep(wait);
      sentAt.set(n, wallMs());
      agent.decide(`ev-${n}`, { kind: 'tool', tool: `deploy.ev${n}x`, input: { build: n, target: 'production' } }).catch(() => undefined);
    }
    const elapsed = (wallMs() - start) / 1000;
    // Let the last ones land (generously: a miss is reported, not waited for forever).
    const settleBy = Date.now() + 15_000;
    let browserSeen: Record<string, number> = {};
    while (Date.now() < settleBy) {
      browserSeen = (await page.evaluate('window.__benchSeen')) as Record<string, number>;
      if (Object.keys(browserSeen).length >= total && sse.size >= total) break;
      await sleep(500);
    }
    const latencies = (seen: (n: number) => number | undefined) => {
      const out: number[] = [];
      for (const [n, t0] of sentAt) {
        const t = seen(n);
        if (t !== undefined) out.push(t - t0);
      }
      return out;
    };
    const inBrowser = latencies((n) => browserSeen[String(n)]);
    const overSse = latencies((n) => sse.get(n));
    await context.close();
    return {
      pending: onScreen,
      arrivals: { sent: total, rate: total / elapsed, seconds: elapsed },
      browser: { ...summary(inBrowser), missing: total - inBrowser.length },
      sse: { ...summary(overSse), missing: total - overSse.length },
      firstLoad: { inboxGzipBytes, files, allAssetsGzipBytes, assetCount: sizes.size },
    };
  } finally {
    stream.close();
    await browser.close();
    await Promise.all([...arriving, ...seeded].map((g) => g.close()));
  }
}
