import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { eventInputSha256 } from './canonical.js';

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
  /** How long `connect` waits for the first login (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * How many times `connect` retries a connection that was refused, reset or unreachable (nothing may listen there: a
   * wrong port), with the reconnect backoff. Default 3. When the server itself says "later" (HTTP 5xx/408/429, closes
   * 1012/1013/4408) `connect` retries until `connectTimeoutMs`; what retrying cannot fix (DNS, TLS, another 4xx, a
   * refused key) ends it at once.
   */
  connectRetries?: number;
  /** Called when an action is held for a human reviewer. */
  onPending?: (eventId: string, reviewId: string) => void;
}

export interface DecideOptions {
  /** Give up waiting after this long (default 30 s). */
  timeoutMs?: number;
  /** On timeout, allow instead of block. Off by default: Arbiter fails closed. */
  failOpen?: boolean;
}

/**
 * Why `connect` failed. `connection_refused`: nothing listens there; `dns`: the host name does not resolve; `tls`: the
 * TLS handshake failed (e.g. `wss://` to a plain port); `http_status`: the server answered the upgrade with an HTTP
 * status (`status`; e.g. 404 for a wrong path); `auth`: the API key was refused (close 4401, or HTTP 401/403);
 * `session_in_use`: another connection holds the session (4409); `protocol`: the server refused the login frame
 * (4400); `network`: the connection failed otherwise (reset, unreachable); `timeout`: no login within
 * `connectTimeoutMs` and no failure to report.
 */
export type ArbiterConnectErrorCode = 'connection_refused' | 'dns' | 'tls' | 'http_status' | 'auth' | 'session_in_use' | 'protocol' | 'network' | 'timeout';

export class ArbiterConnectError extends Error {
  override readonly name = 'ArbiterConnectError';
  constructor(
    readonly code: ArbiterConnectErrorCode,
    message: string,
    readonly details: { closeCode?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get closeCode(): number | undefined {
    return this.details.closeCode;
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** One failed attempt to connect: what to tell the caller, and whether trying again may help. */
interface Failure {
  code: ArbiterConnectErrorCode;
  detail: string;
  /** `transport`: retried `connectRetries` times; `server`: the server asked for later, retried until the deadline. */
  retry: false | 'transport' | 'server';
  closeCode?: number;
  status?: number;
  cause?: unknown;
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

const CLOSE_CAUSE: Record<number, ArbiterConnectErrorCode> = { 4400: 'protocol', 4401: 'auth', 4409: 'session_in_use' };

/** OpenSSL and Node TLS error codes: a certificate problem, or no TLS at all on the other side. */
const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/** Classifies a socket or handshake error of one attempt. */
function socketFailure(err: Error & { code?: string }, url: URL): Failure {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return { code: 'connection_refused', detail: 'connection refused', retry: 'transport', cause: err };
  if (code === 'ENOTFOUND') return { code: 'dns', detail: `host ${url.hostname} not found (ENOTFOUND)`, retry: false, cause: err };
  if (code === 'EAI_AGAIN') return { code: 'dns', detail: `DNS lookup of ${url.hostname} failed for now (EAI_AGAIN)`, retry: 'transport', cause: err };
  if (TLS_ERROR.test(code)) {
    // OpenSSL's message is `…:SSL routines:<function>:<reason>:<file>:<line>:`; the reason is what a person can use.
    const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message.trim();
    const plain = /wrong version number|packet length too long|http request/i.test(reason) ? '; the server does not speak TLS on this port (use ws:// or http://)' : '';
    return { code: 'tls', detail: `TLS handshake failed: ${reason} (${code})${plain}`, retry: false, cause: err };
  }
  const detail = code === 'ECONNRESET' ? 'the connection was closed during the WebSocket handshake (ECONNRESET)' : `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`;
  return { code: 'network', detail, retry: 'transport', cause: err };
}

/** Classifies an HTTP answer to the upgrade request. 5xx, 408 and 429 may pass (a restart, a busy balancer). */
function httpFailure(status: number, statusText: string | undefined): Failure {
  const what = `the server refused the WebSocket upgrade with HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const hint = status === 404 ? " (Arbiter's agent endpoint is /ws)" : '';
  const code: ArbiterConnectErrorCode = status === 401 || status === 403 ? 'auth' : 'http_status';
  return { code, detail: what + hint, retry: status >= 500 || status === 408 || status === 429 ? 'server' : false, status };
}

/** The URL as shown in messages: no credentials, no query. */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

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
  /** Connections opened, for the message when `connect` gives up. */
  private opened = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, InFlight>();
  /** event_ids already answered to the caller, so replays are acked and dropped. */
  private readonly answered = new Set<string>();
  /** event_ids whose `pending` was handed to `onPending`: the server answers a resent event with `pending` again. */
  private readonly pendingSeen = new Set<string>();
  private firstLogin: { resolve: () => void; fail: (failure: Failure) => void; retriesLeft: number; deadline: number; last?: Failure } | undefined;

  private constructor(private readonly options: ConnectOptions) {}

  /**
   * Connects and logs in. Rejects with an {@link ArbiterConnectError} saying why (its `code` and message) as soon as
   * retrying cannot help or the retries are spent, and at the latest after `connectTimeoutMs`.
   */
  static async connect(options: ConnectOptions): Promise<ArbiterClient> {
    const client = new ArbiterClient(options);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const fail = (err: ArbiterConnectError) => {
        clearTimeout(timer);
        client.firstLogin = undefined;
        client.closedForGood ??= err.message;
        void client.close();
        reject(err);
      };
      const timer = setTimeout(() => {
        const last = client.firstLogin?.last;
        const waited = `no login within ${timeoutMs} ms`;
        if (last) fail(client.connectError(last, waited));
        else fail(new ArbiterConnectError('timeout', `cannot reach ${displayUrl(client.url)}: ${waited}`));
      }, timeoutMs);
      client.firstLogin = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (failure) => fail(client.connectError(failure)),
        retriesLeft: options.connectRetries ?? 3,
        deadline: Date.now() + timeoutMs,
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

  private get url(): URL {
    const url = new URL(this.options.url.replace(/^http/, 'ws'));
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
    return url;
  }

  private open(): void {
    const url = this.url;
    this.opened++;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.options.apiKey}` } });
    this.socket = socket;
    // Why this attempt failed, when it failed before the server could close it with a code.
    let failure: Failure | undefined;
    socket.on('unexpected-response', (_request, response) => {
      failure = httpFailure(response.statusCode ?? 0, response.statusMessage);
      response.resume();
      socket.terminate();
    });
    socket.on('open', () => {
      const login: Record<string, unknown> = { type: 'login', session_id: this.options.sessionId };
      if (this.resumeToken) login.resume_token = this.resumeToken;
      if (this.options.agentId) login.agent_id = this.options.agentId;
      if (this.options.source) login.source = this.options.source;
      socket.send(JSON.stringify(login));
    });
    socket.on('message', (data) => this.onFrame(data.toString()));
    socket.on('error', (err) => (failure ??= socketFailure(err, url))); // 'close' follows and decides what to do
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString(), failure));
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
      case 'pending': {
        const eventId = frame.event_id as string;
        // A resent event (after a reconnect) is answered with the same pending again: tell the caller once.
        if (this.pendingSeen.has(eventId) || this.answered.has(eventId)) return;
        this.remember(this.pendingSeen, eventId);
        this.options.onPending?.(eventId, frame.review_id as string);
        return;
      }
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
    this.remember(this.answered, eventId);
    this.pendingSeen.delete(eventId);
    pending.resolve(verdict);
  }

  private remember(set: Set<string>, eventId: string): void {
    set.add(eventId);
    if (set.size > RECENT_LIMIT) set.delete(set.values().next().value as string);
  }

  private onClose(socket: WebSocket, code: number, reason: string, failure: Failure | undefined): void {
    if (socket !== this.socket) return;
    this.live = false;
    if (this.closedForGood) return;
    const first = this.firstLogin;
    if (first) {
      // Not logged in yet: say why as soon as trying again cannot help or the retries are spent.
      const cause = failure ?? this.closeFailure(code, reason);
      const delay = this.nextDelay();
      const spent = cause.retry === 'transport' && first.retriesLeft <= 0;
      if (!cause.retry || spent || Date.now() + delay >= first.deadline) return first.fail(cause);
      if (cause.retry === 'transport') first.retriesLeft--;
      first.last = cause;
      this.reconnectTimer = setTimeout(() => this.open(), delay);
      return;
    }
    const final = FINAL_CLOSE.get(code);
    if (final) {
      this.closedForGood = `${final}${reason ? ` (${reason})` : ''}`;
      for (const [eventId, pending] of this.inFlight) this.settle(eventId, this.fallback(eventId, pending.sha256, 'client_error', this.closedForGood, false));
      return;
    }
    this.reconnectTimer = setTimeout(() => this.open(), this.nextDelay());
  }

  /** The next reconnect delay: doubling from `initialDelayMs` up to `maxDelayMs`, with jitter. */
  private nextDelay(): number {
    const initial = this.options.reconnect?.initialDelayMs ?? 100;
    const max = this.options.reconnect?.maxDelayMs ?? 5000;
    return Math.min(max, initial * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
  }

  /** A connection that opened and then closed before `login_ok`. */
  private closeFailure(code: number, reason: string): Failure {
    const known = CLOSE_CAUSE[code];
    const said = reason ? `: ${reason}` : '';
    if (known === 'auth') return { code: known, detail: `the API key was refused (close ${code}${said})`, retry: false, closeCode: code };
    if (known === 'session_in_use') return { code: known, detail: `the session is in use by another connection (close ${code}${said})`, retry: false, closeCode: code };
    if (known === 'protocol') return { code: known, detail: `the server refused the login (close ${code}${said})`, retry: false, closeCode: code };
    // 1012 (restarting), 1013 (overloaded), 4408 (login too slow): the server asks for later. 1006: dropped on the way.
    const later = code === 1012 || code === 1013 || code === 4408;
    return { code: 'network', detail: `the connection closed before login (close ${code}${said})`, retry: later ? 'server' : 'transport', closeCode: code };
  }

  private connectError(failure: Failure, note?: string): ArbiterConnectError {
    const notes = [note, this.opened > 1 ? `${this.opened} attempts` : undefined].filter(Boolean).join(', ');
    // Reached, but refused (an HTTP status or a close code), or not reached at all.
    const lead = failure.status !== undefined || failure.closeCode !== undefined ? 'cannot connect to' : 'cannot reach';
    const message = `${lead} ${displayUrl(this.url)}: ${failure.detail}${notes ? ` (${notes})` : ''}`;
    return new ArbiterConnectError(failure.code, message, { closeCode: failure.closeCode, status: failure.status, cause: failure.cause });
  }

  private sendFrame(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private fallback(eventId: string, sha256: string, source: 'client_timeout' | 'client_error', reason: string, allow: boolean): Verdict {
    return { event_id: eventId, decision: allow ? 'allow' : 'block', reason, source, review_id: null, input_sha256: sha256 };
  }
}
