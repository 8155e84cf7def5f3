import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { AgentGateway } from '../../src/sessions/agent.gateway.js';
import { AgentSocket, eventually } from '../support/agent-socket.js';
import { createApiKey, createProject } from '../support/fixtures.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

const MAX_FRAME = 64 * 1024;
/** Frames a flooder keeps handed to its TCP connection: as fast as the server reads, no faster. */
const IN_FLIGHT = 8;

const deepFrame = (id: string) => `{"type":"event","event_id":"${id}","kind":"tool","tool":"bulk.write","input":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;

/** 64 KiB of words and spaces ending in a character no word matches: the bait for (\w+\s?)+$ (about 1 ms of re2js each once warm, 15 ms cold) */
function baitFrame(id: string): string {
  // Keys are tested too: a key the pattern does not match ('text' would, at once), so the value is what is tested.
  const shell = (text: string) => JSON.stringify({ type: 'event', event_id: id, kind: 'tool', tool: 'shell.exec', input: { '-': text } });
  return shell('aaaa '.repeat(Math.floor((MAX_FRAME - shell('').length - 16) / 5)) + '!');
}

/** A logged-in socket that sends `total` frames as fast as the server reads them and counts the answers naming one. */
async function flooder(wsUrl: string, apiKey: string, name: string, total: number, frame: (id: string) => string) {
  const socket = new WebSocket(`${wsUrl}/ws`, { headers: { authorization: `Bearer ${apiKey}` }, perMessageDeflate: false });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'login', session_id: name })));
    socket.once('message', () => resolve());
    socket.once('close', (code) => reject(new Error(`closed ${code} before login_ok`)));
  });
  const state = { answered: 0, sent: 0 };
  socket.on('message', (data) => {
    if (JSON.parse(data.toString()).event_id?.startsWith(name)) state.answered++;
  });
  let inFlight = 0;
  const pump = (): void => {
    while (state.sent < total && inFlight < IN_FLIGHT && socket.readyState === WebSocket.OPEN) {
      inFlight++;
      socket.send(frame(`${name}-${state.sent++}`), () => {
        inFlight--;
        pump();
      });
    }
  };
  return { socket, state, start: pump };
}

function p99(ms: number[]): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1];
}

/**
 * One project's sockets flood the worst frames the protocol allows while another project's agent decides events one
 * after another: the flooding project is throttled (its sockets held, its frames all answered in the end) and the
 * other's verdicts stay fast. Default rates (ARBITER_WS_PROJECT_*), as in production.
 */
describe("a project's agents are throttled to their share of the instance", () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('block', 1);
  });
  afterAll(async () => {
    await w?.close();
  });

  async function flood(apiKey: string, prefix: string, flooders: number, frames: number, frame: (id: string) => string) {
    const app = w.apps[0];
    const gateway = app.app.get(AgentGateway);
    const other = await createProject(w.http, w.adminToken, { mode: 'block' });
    const otherKey = await createApiKey(w.http, w.adminToken, other.id);
    const { agent } = await AgentSocket.login(app.wsUrl, otherKey.key, `${prefix}-calm`);
    expect(await agent.decide(`${prefix}-warm`, harmless)).toMatchObject({ type: 'verdict' });
    const floods = await Promise.all(Array.from({ length: flooders }, (_, i) => flooder(app.wsUrl, apiKey, `${prefix}${i}`, frames, frame)));
    const throttlesBefore = gateway.throttle.throttles;
    let peakHeld = 0;
    let otherThrottled = false;
    const sampler = setInterval(() => {
      peakHeld = Math.max(peakHeld, gateway.inbound.throttledCount);
      otherThrottled ||= gateway.throttle.isThrottled(other.id);
    }, 5);
    const waits: number[] = [];
    try {
      floods.forEach((f) => f.start());
      for (let n = 0; n < 100; n++) {
        const started = performance.now();
        expect(await agent.decide(`${prefix}-calm-${n}`, harmless)).toMatchObject({ type: 'verdict', decision: 'allow' });
        waits.push(performance.now() - started);
      }
      // Held, never dropped: every flooded frame is answered in the end.
      await eventually(() => floods.every((f) => f.state.answered === frames), 120_000, 'every flooded frame answered');
    } finally {
      clearInterval(sampler);
      for (const f of floods) f.socket.terminate();
      await agent.close();
    }
    process.stdout.write(
      `${prefix}: ${flooders} x ${frames} frames; other project's verdict p99 ${p99(waits).toFixed(1)} ms, worst ${Math.max(...waits).toFixed(1)} ms; ` +
        `up to ${peakHeld} connections held, ${gateway.throttle.throttles - throttlesBefore} throttles\n`,
    );
    expect(peakHeld).toBeGreaterThan(0);
    // The other project is never charged for the flood, and its agent is never stalled behind it. How fast it stays
    // is a performance figure, measured on a quiet machine by `npm run bench` (figure 6), not asserted here: on a
    // loaded CI runner its p99 swung from 15 ms to 330 ms between two runs of the same code.
    expect(otherThrottled).toBe(false);
    expect(Math.max(...waits)).toBeLessThan(5000);
  }

  it('throttles a project flooding inputs nested 20,000 deep; another project stays fast', async () => {
    // 16 x 40 frames of about 40 KB: some 25 s of the default byte rate, so every frame is answered within the test.
    await flood(w.key, 'deep', 16, 40, deepFrame);
  });

  it('throttles a project flooding regex bait under a costly rule; another project stays fast', async () => {
    const project = await createProject(w.http, w.adminToken, { mode: 'block' });
    const rules = await w.http.put(
      `/api/projects/${project.id}/rules`,
      { default_action: 'allow', rules: [{ kind: 'tool', tool: 'shell.*', input_pattern: '(\\w+\\s?)+$', action: 'block', reason: 'bait' }] },
      { token: w.adminToken },
    );
    expect(rules.status).toBe(200);
    const key = await createApiKey(w.http, w.adminToken, project.id);
    await flood(key.key, 'bait', 16, 40, baitFrame);
  });

  it('does not throttle a single busy, well-behaved project', async () => {
    const app = w.apps[0];
    const gateway = app.app.get(AgentGateway);
    const project = await createProject(w.http, w.adminToken, { mode: 'block' });
    const key = await createApiKey(w.http, w.adminToken, project.id);
    const agents = await Promise.all(Array.from({ length: 32 }, (_, i) => AgentSocket.login(app.wsUrl, key.key, `busy-${i}`)));
    const before = gateway.throttle.throttles;
    const until = performance.now() + 3000;
    const counts = await Promise.all(
      agents.map(async ({ agent }, a) => {
        let n = 0;
        while (performance.now() < until) expect(await agent.decide(`busy-${a}-${n++}`, harmless)).toMatchObject({ type: 'verdict' });
        return n;
      }),
    );
    const total = counts.reduce((s, n) => s + n, 0);
    process.stdout.write(`busy: ${total} verdicts in 3 s over 32 agents of one project\n`);
    expect(total).toBeGreaterThan(300);
    expect(gateway.throttle.isThrottled(project.id)).toBe(false);
    expect(gateway.throttle.throttles).toBe(before);
    await Promise.all(agents.map(({ agent }) => agent.close()));
  });
});
