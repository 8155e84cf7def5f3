import WebSocket from 'ws';
import { nowMs } from './stats.js';

/** One event in the bench's mix: mostly harmless shell and HTTP calls, one in ten destructive (blocked by a rule). */
export function benchEvent(n: number): Record<string, unknown> {
  if (n % 10 === 0) return { kind: 'tool', tool: 'shell.exec', input: { cmd: `rm -rf /tmp/build-${n}` } };
  if (n % 3 === 0) return { kind: 'tool', tool: 'http.get', input: { url: `https://example.com/items/${n}` } };
  return { kind: 'tool', tool: 'shell.exec', input: { cmd: `ls -la /tmp/build-${n}` } };
}

/**
 * A minimal agent speaking the raw protocol (src/sessions/PROTOCOL.md), lighter than the SDK so the load generator
 * costs as little as possible; the same client drives Arbiter and the bare floor server. Acknowledges each verdict
 * like the SDK does (Arbiter only; `ack: false` for the floor, which has nothing to acknowledge).
 */
export class RawAgent {
  private waiting = new Map<string, { sentAt: number; resolve: (ms: number) => void; reject: (err: Error) => void }>();
  private pendingHandlers = new Map<string, (reviewId: string) => void>();
  private closedReason: string | undefined;
  session = '';

  private constructor(
    private readonly socket: WebSocket,
    private readonly ack: boolean,
  ) {
    socket.on('message', (data) => this.onFrame(data.toString()));
    socket.on('close', (code, reason) => {
      this.closedReason = `closed ${code} ${reason.toString()}`;
      for (const w of this.waiting.values()) w.reject(new Error(this.closedReason));
      this.waiting.clear();
    });
  }

  static async connect(url: string, apiKey: string, sessionId: string, ack = true, timeoutMs = 30_000): Promise<RawAgent> {
    const socket = new WebSocket(`${url}/ws`, { headers: { authorization: `Bearer ${apiKey}` }, perMessageDeflate: false });
    return new Promise<RawAgent>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`no login_ok within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('close', (code, reason) => {
        clearTimeout(timer);
        reject(new Error(`closed ${code} ${reason.toString()} before login_ok`));
      });
      socket.once('open', () => socket.send(JSON.stringify({ type: 'login', session_id: sessionId })));
      socket.once('message', (data) => {
        clearTimeout(timer);
        const frame = JSON.parse(data.toString()) as { type: string; session?: string; message?: string };
        if (frame.type !== 'login_ok') return reject(new Error(`login refused: ${data.toString()}`));
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        socket.on('error', () => undefined);
        const agent = new RawAgent(socket, ack);
        agent.session = frame.session ?? '';
        resolve(agent);
      });
    });
  }

  /** Sends one event; resolves with the milliseconds until its verdict arrived. */
  decide(eventId: string, body: Record<string, unknown>, onPending?: (reviewId: string) => void): Promise<number> {
    if (this.closedReason) return Promise.reject(new Error(this.closedReason));
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(eventId, { sentAt: nowMs(), resolve, reject });
      if (onPending) this.pendingHandlers.set(eventId, onPending);
      this.socket.send(JSON.stringify({ type: 'event', event_id: eventId, ...body }));
    });
  }

  private onFrame(text: string): void {
    const frame = JSON.parse(text) as { type: string; event_id?: string; review_id?: string };
    if (frame.type === 'pending' && frame.event_id) {
      this.pendingHandlers.get(frame.event_id)?.(frame.review_id ?? '');
      return;
    }
    if (frame.type !== 'verdict' || !frame.event_id) {
      if (frame.type === 'error') process.stderr.write(`bench: server error frame: ${text}\n`);
      return;
    }
    const at = nowMs();
    if (this.ack) this.socket.send(JSON.stringify({ type: 'ack', event_id: frame.event_id }));
    const w = this.waiting.get(frame.event_id);
    if (!w) return;
    this.waiting.delete(frame.event_id);
    this.pendingHandlers.delete(frame.event_id);
    w.resolve(at - w.sentAt);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
      setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}

/** Opens `count` agents on `url`, `parallel` logins at a time. */
export async function connectAgents(url: string, apiKey: string, prefix: string, count: number, ack = true): Promise<RawAgent[]> {
  const agents: RawAgent[] = [];
  for (let i = 0; i < count; i += 16) {
    const batch = await Promise.all(Array.from({ length: Math.min(16, count - i) }, (_, j) => RawAgent.connect(url, apiKey, `${prefix}-${i + j}`, ack)));
    agents.push(...batch);
  }
  return agents;
}

/** One agent sending `count` events one after another. */
export async function sequential(agent: RawAgent, prefix: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; n < count; n++) latencies.push(await agent.decide(`${prefix}-${n}`, benchEvent(n)));
  return latencies;
}

/** Every agent sends its next event as soon as the previous verdict arrives, for `seconds`. */
export async function closedLoop(agents: RawAgent[], prefix: string, seconds: number): Promise<{ latencies: number[]; events: number; elapsedS: number }> {
  const latencies: number[] = [];
  const start = nowMs();
  const end = start + seconds * 1000;
  await Promise.all(
    agents.map(async (agent, a) => {
      for (let n = 0; nowMs() < end; n++) latencies.push(await agent.decide(`${prefix}-${a}-${n}`, benchEvent(n)));
    }),
  );
  const elapsedS = (nowMs() - start) / 1000;
  return { latencies, events: latencies.length, elapsedS };
}
