/* eslint-disable @typescript-eslint/no-explicit-any */
import WebSocket from 'ws';

/**
 * A raw protocol client for tests that need to see every frame and close code (the SDK hides them on purpose).
 * Frames are buffered, so a test can wait for one that already arrived.
 */
export class AgentSocket {
  readonly frames: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  private readonly socket: WebSocket;

  private constructor(url: string, apiKey?: string) {
    this.socket = new WebSocket(`${url}/ws`, apiKey ? { headers: { authorization: `Bearer ${apiKey}` } } : {});
    this.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(wsUrl: string, apiKey?: string): Promise<AgentSocket> {
    const agent = new AgentSocket(wsUrl, apiKey);
    await new Promise<void>((resolve, reject) => {
      agent.socket.once('open', () => resolve());
      agent.socket.once('error', reject);
    });
    return agent;
  }

  /** Opens and logs in; resolves with the login_ok frame. */
  static async login(wsUrl: string, apiKey: string, sessionId: string, extra: Record<string, unknown> = {}): Promise<{ agent: AgentSocket; ok: any }> {
    const agent = await AgentSocket.open(wsUrl, apiKey);
    agent.send({ type: 'login', session_id: sessionId, ...extra });
    const ok = await agent.next((f) => f.type === 'login_ok');
    return { agent, ok };
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The first frame (already received or still to come) that matches. */
  next(match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const done = (f: any) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  verdictFor(eventId: string, timeoutMs?: number): Promise<any> {
    return this.next((f) => f.type === 'verdict' && f.event_id === eventId, timeoutMs);
  }

  /** Sends an event and waits for its verdict (or pending, when `until` says so). */
  async decide(eventId: string, event: Record<string, unknown> = { kind: 'tool', tool: 'fs.read', input: { path: '/tmp/x' } }): Promise<any> {
    this.send({ type: 'event', event_id: eventId, ...event });
    return this.next((f) => (f.type === 'verdict' || f.type === 'pending') && f.event_id === eventId);
  }

  /** Protocol 1.1: withdraws an event; resolves with the `cancelled` answer. */
  async cancel(eventId: string, reason?: string): Promise<any> {
    const before = this.frames.length;
    this.send({ type: 'cancel', event_id: eventId, ...(reason === undefined ? {} : { reason }) });
    return this.nextAfter(before, (f) => f.type === 'cancelled' && f.event_id === eventId);
  }

  /** Acks a verdict: 1.0-style without a status, or with 1.1's `received` / `discarded`. */
  ack(eventId: string, status?: 'received' | 'discarded'): void {
    this.send({ type: 'ack', event_id: eventId, ...(status ? { status } : {}) });
  }

  /** The first matching frame received after the first `index` frames (already here or still to come). */
  nextAfter(index: number, match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    return this.next((f) => this.frames.indexOf(f) >= index && match(f), timeoutMs);
  }

  framesFor(eventId: string): any[] {
    return this.frames.filter((f) => f.event_id === eventId);
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close(1000);
    return this.closed;
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** Waits until `check` returns true, polling; fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
