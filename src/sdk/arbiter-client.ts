import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { eventInputSha256 } from '../policies/canonical-event.js';

/** What an agent is about to do. `event_id` is the idempotency key; the SDK makes one when it is left out. */
export interface AgentAction {
  event_id?: string;
  kind: 'tool' | 'llm';
  tool?: string;
  input?: unknown;
  agent_id?: string;
}

export interface Verdict {
  event_id: string;
  decision: 'allow' | 'block';
  reason: string;
  /** `client_timeout`: no verdict in time; `client_error`: the connection ended for good (e.g. key revoked). */
  source: 'policy' | 'review' | 'timeout' | 'client_timeout' | 'client_error';
  review_id: string | null;
  input_sha256: string;
}

export interface ConnectOptions {
  /** `ws://host:port` (the `/ws` path is added when missing) or `http(s)://…`. */
  url: string;
  apiKey: string;
  /** Your label for this session; it only has meaning within your API key. */
  sessionId: string;
  agentId?: string;
  source?: string;
  /** Reconnect backoff, doubling from `initialDelayMs` up to `maxDelayMs`, with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long `connect` waits for the first login. */
  connectTimeoutMs?: number;
  /** Called when an action is held for a human reviewer. */
  onPending?: (eventId: string, reviewId: string) => void;
}

export interface DecideOptions {
  /** Give up waiting after this long (default 30 s). */
  timeoutMs?: number;
  /** On timeout, allow instead of block. Off by default: Arbiter fails closed. */
  failOpen?: boolean;
}

export class ArbiterConnectError extends Error {
  constructor(
    message: string,
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

interface InFlight {
  frame: Record<string, unknown>;
  sha256: string;
  resolve: (verdict: Verdict) => void;
  timer: NodeJS.Timeout;
}

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE = new Map<number, string>([
  [4001, 'the session was resumed by another connection'],
  [4400, 'protocol error'],
  [4401, 'the API key is missing, invalid or revoked'],
]);

const RECENT_LIMIT = 10_000;

/**
 * The agent side of Arbiter: send each intended action, wait for its verdict, act only on `allow`.
 *
 * Reconnects with backoff and resumes its session with the resume token; resends actions still waiting (the server
 * answers a repeated event_id with the same verdict); acknowledges every verdict and hands each to the caller once;
 * checks that a verdict's `input_sha256` is the hash of the call it sent; fails closed on timeout.
 */
export class ArbiterClient {
  private socket: WebSocket | undefined;
  private resumeToken: string | undefined;
  private sessionUuid: string | undefined;
  private projectMode: string | undefined;
  private live = false;
  private closedForGood: string | undefined;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, InFlight>();
  /** event_ids already answered to the caller, so replays are acked and dropped. */
  private readonly answered = new Set<string>();
  private firstLogin: { resolve: () => void; reject: (err: Error) => void } | undefined;

  private constructor(private readonly options: ConnectOptions) {}

  static async connect(options: ConnectOptions): Promise<ArbiterClient> {
    const client = new ArbiterClient(options);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.firstLogin = undefined;
        void client.close();
        reject(new ArbiterConnectError(`no login within ${options.connectTimeoutMs ?? 10_000} ms`));
      }, options.connectTimeoutMs ?? 10_000);
      client.firstLogin = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      client.open();
    });
    return client;
  }

  /** The server-owned session id (stable across reconnects). */
  get session(): string | undefined {
    return this.sessionUuid;
  }

  get mode(): string | undefined {
    return this.projectMode;
  }

  get connected(): boolean {
    return this.live;
  }

  /** Sends an action and resolves with its verdict; never rejects for a timeout (it fails closed instead). */
  decide(action: AgentAction, options: DecideOptions = {}): Promise<Verdict> {
    const eventId = action.event_id ?? randomUUID();
    const sha256 = eventInputSha256({ kind: action.kind, tool: action.tool ?? null, input: action.input });
    if (this.closedForGood) return Promise.resolve(this.fallback(eventId, sha256, 'client_error', this.closedForGood, false));
    if (this.inFlight.has(eventId)) return Promise.reject(new Error(`event ${eventId} is already waiting for its verdict`));
    const frame: Record<string, unknown> = { type: 'event', event_id: eventId, kind: action.kind };
    if (action.tool !== undefined) frame.tool = action.tool;
    if (action.input !== undefined) frame.input = action.input;
    if (action.agent_id !== undefined) frame.agent_id = action.agent_id;
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<Verdict>((resolve) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(eventId);
        resolve(this.fallback(eventId, sha256, 'client_timeout', `no verdict within ${timeoutMs} ms`, options.failOpen ?? false));
      }, timeoutMs);
      this.inFlight.set(eventId, { frame, sha256, resolve, timer });
      if (this.live) this.sendFrame(frame);
    });
  }

  async close(): Promise<void> {
    this.closedForGood ??= 'closed by the client';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    for (const [eventId, pending] of this.inFlight) this.settle(eventId, this.fallback(eventId, pending.sha256, 'client_error', 'client closed', false));
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000, 'client closing');
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  private open(): void {
    const url = new URL(this.options.url.replace(/^http/, 'ws'));
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.options.apiKey}` } });
    this.socket = socket;
    socket.on('open', () => {
      const login: Record<string, unknown> = { type: 'login', session_id: this.options.sessionId };
      if (this.resumeToken) login.resume_token = this.resumeToken;
      if (this.options.agentId) login.agent_id = this.options.agentId;
      if (this.options.source) login.source = this.options.source;
      socket.send(JSON.stringify(login));
    });
    socket.on('message', (data) => this.onFrame(data.toString()));
    socket.on('error', () => undefined); // 'close' follows and decides what to do
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  private onFrame(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'login_ok':
        this.live = true;
        this.attempt = 0;
        this.resumeToken = frame.resume_token as string;
        this.sessionUuid = frame.session as string;
        this.projectMode = frame.mode as string;
        // Whatever was sent before the connection dropped may not have arrived: send again (idempotent by event_id).
        for (const pending of this.inFlight.values()) this.sendFrame(pending.frame);
        this.firstLogin?.resolve();
        this.firstLogin = undefined;
        return;
      case 'verdict':
        return this.onVerdict(frame as unknown as Verdict);
      case 'pending':
        this.options.onPending?.(frame.event_id as string, frame.review_id as string);
        return;
      case 'error':
        if (frame.code === 'internal' && this.live) {
          // The server could not record an action just now; try the waiting ones again shortly. One retry for all the
          // errors of a round: a retry per error would resend every waiting action once per failed one, and grow.
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            if (this.live) for (const pending of this.inFlight.values()) this.sendFrame(pending.frame);
          }, 250).unref();
        } else if (typeof frame.event_id === 'string' && frame.code === 'validation_failed') {
          const pending = this.inFlight.get(frame.event_id);
          if (pending) this.settle(frame.event_id, this.fallback(frame.event_id, pending.sha256, 'client_error', `refused: ${String(frame.message)}`, false));
        }
        return;
    }
  }

  private onVerdict(verdict: Verdict): void {
    this.sendFrame({ type: 'ack', event_id: verdict.event_id });
    const pending = this.inFlight.get(verdict.event_id);
    if (!pending) return; // a replay of something already answered, or not ours to answer
    if (verdict.input_sha256 !== pending.sha256) {
      this.settle(verdict.event_id, this.fallback(verdict.event_id, pending.sha256, 'client_error', 'the verdict is for a different call than the one sent', false));
      return;
    }
    this.settle(verdict.event_id, verdict);
  }

  private settle(eventId: string, verdict: Verdict): void {
    const pending = this.inFlight.get(eventId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.inFlight.delete(eventId);
    this.answered.add(eventId);
    if (this.answered.size > RECENT_LIMIT) this.answered.delete(this.answered.values().next().value as string);
    pending.resolve(verdict);
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.live = false;
    if (this.closedForGood) return;
    const final = FINAL_CLOSE.get(code) ?? (code === 4409 && this.firstLogin ? 'the session is in use by another connection' : undefined);
    if (final) {
      this.closedForGood = `${final}${reason ? ` (${reason})` : ''}`;
      this.firstLogin?.reject(new ArbiterConnectError(this.closedForGood, code));
      this.firstLogin = undefined;
      for (const [eventId, pending] of this.inFlight) this.settle(eventId, this.fallback(eventId, pending.sha256, 'client_error', this.closedForGood, false));
      return;
    }
    const initial = this.options.reconnect?.initialDelayMs ?? 100;
    const max = this.options.reconnect?.maxDelayMs ?? 5000;
    const delay = Math.min(max, initial * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private sendFrame(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private fallback(eventId: string, sha256: string, source: 'client_timeout' | 'client_error', reason: string, allow: boolean): Verdict {
    return { event_id: eventId, decision: allow ? 'allow' : 'block', reason, source, review_id: null, input_sha256: sha256 };
  }
}
