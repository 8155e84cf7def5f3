import WebSocket from 'ws';
import { MetricsService } from '../../src/infra/metrics/metrics.service.js';
import { AgentGateway } from '../../src/sessions/agent.gateway.js';
import type { TestApp } from '../support/app.js';
import { AgentSocket, eventually } from '../support/agent-socket.js';
import { createApiKey, createProject } from '../support/fixtures.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

const KIB = 1024;
const MAX_FRAME = 64 * KIB;
const PER_CONNECTION = 512 * KIB;
const PER_INSTANCE = 1024 * KIB;

/** A logged-in raw socket that does not read what the server sends (the worst client: it only writes). */
async function deafFlooder(wsUrl: string, apiKey: string, sessionId: string): Promise<WebSocket> {
  const socket = new WebSocket(`${wsUrl}/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'login', session_id: sessionId }));
  await new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.pause();
  return socket;
}

/** The largest event frame the server accepts. */
function maxSizeEvent(eventId: string): string {
  const frame = { type: 'event', event_id: eventId, kind: 'tool', tool: 'bulk.write', input: { blob: '' } };
  const room = MAX_FRAME - Buffer.byteLength(JSON.stringify(frame));
  frame.input.blob = 'x'.repeat(room);
  return JSON.stringify(frame);
}

/** A gauge as GET /metrics reports it. */
async function metric(app: TestApp, name: string): Promise<number> {
  const gauge = app.app.get(MetricsService).registry.getSingleMetric(name);
  if (!gauge) throw new Error(`no metric ${name}`);
  return (await gauge.get()).values[0].value;
}

describe('hostile agents on the WebSocket cannot hurt the others', () => {
  let w: SessionsWorld;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    w = await sessionsWorld('block', 1, { wsMaxQueuedBytes: PER_CONNECTION, wsMaxQueuedBytesTotal: PER_INSTANCE });
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await w?.close();
  });

  it('stops reading connections that flood maximum-size frames: bytes queued stay bounded and another agent keeps getting verdicts', async () => {
    const app = w.apps[0];
    const gateway = app.app.get(AgentGateway);
    const FLOODERS = 4;
    const FRAMES = 150; // 9.4 MiB per connection, 37.5 MiB in all: the old frame count (1,000 queued) never bit
    const flooders = await Promise.all(Array.from({ length: FLOODERS }, (_, i) => deafFlooder(app.wsUrl, w.key, `flood-${i}`)));
    sockets.push(...flooders);
    const { agent: bystander } = await AgentSocket.login(app.wsUrl, w.key, 'bystander');

    let peakPaused = 0;
    const sampler = setInterval(() => (peakPaused = Math.max(peakPaused, gateway.inbound.pausedCount)), 5);
    const waits: number[] = [];
    try {
      flooders.forEach((socket, f) => {
        for (let n = 0; n < FRAMES; n++) socket.send(maxSizeEvent(`f${f}-${n}`));
      });
      for (let n = 0; n < 40; n++) {
        const started = Date.now();
        expect(await bystander.decide(`steady-${n}`, harmless)).toMatchObject({ type: 'verdict', decision: 'allow' });
        waits.push(Date.now() - started);
      }
      // Every flood frame is handled in the end: paused, not dropped.
      await eventually(
        async () => (await w.db.pool.query("SELECT count(*)::int AS n FROM agent_events WHERE event_id LIKE 'f%'")).rows[0].n === FLOODERS * FRAMES,
        60_000,
        'every flooded event recorded',
      );
    } finally {
      clearInterval(sampler);
    }

    const peak = await metric(app, 'arbiter_ws_inbound_queued_bytes_peak');
    process.stdout.write(
      `flood: ${FLOODERS} x ${FRAMES} frames of 64 KiB; queued peak ${Math.round(peak / KIB)} KiB (bound ${PER_INSTANCE / KIB} KiB per instance, ` +
        `${PER_CONNECTION / KIB} KiB per connection), up to ${peakPaused} connections paused; bystander's worst wait ${Math.max(...waits)} ms\n`,
    );
    // A connection may pass its bound by what its last read brought: at most two frames' worth each.
    expect(peak).toBeLessThanOrEqual(PER_INSTANCE + (FLOODERS + 1) * 2 * (MAX_FRAME + KIB));
    expect(peakPaused).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThan(5000);
    expect(await metric(app, 'arbiter_ws_inbound_queued_bytes')).toBe(0);
    expect(flooders.every((s) => s.readyState === WebSocket.OPEN)).toBe(true);
  });

  it("six connections sending inputs nested 20,000 deep cost another project's agents no verdict", async () => {
    const app = w.apps[0];
    const other = await createProject(w.http, w.adminToken, { mode: 'block' });
    const otherKey = await createApiKey(w.http, w.adminToken, other.id);
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const attackers = await Promise.all(Array.from({ length: 6 }, (_, i) => AgentSocket.login(app.wsUrl, w.key, `deep-${i}`)));
    const agents = await Promise.all(Array.from({ length: 6 }, (_, i) => AgentSocket.login(app.wsUrl, otherKey.key, `calm-${i}`)));
    let attacking = true;
    const attacks = attackers.map(async ({ agent }, a) => {
      for (let n = 0; attacking; n++) {
        agent.sendRaw(`{"type":"event","event_id":"deep-${a}-${n}","kind":"tool","tool":"x","input":${deep}}`);
        await agent.next((f) => f.type === 'error' && f.event_id === `deep-${a}-${n}`);
      }
    });
    const answers = await Promise.all(
      agents.map(async ({ agent }, a) => {
        const frames = [];
        for (let n = 0; n < 30; n++) frames.push(await agent.decide(`calm-${a}-${n}`, harmless));
        return frames;
      }),
    );
    attacking = false;
    await Promise.all(attacks);
    expect(answers.flat().every((f) => f.type === 'verdict' && f.decision === 'allow')).toBe(true);
    expect(agents.flatMap(({ agent }) => agent.frames).filter((f) => f.type === 'error')).toEqual([]);
    expect(attackers.flatMap(({ agent }) => agent.frames).filter((f) => f.type === 'error').every((f) => f.code === 'validation_failed')).toBe(true);
    await Promise.all([...attackers, ...agents].map(({ agent }) => agent.close()));
  });
});
