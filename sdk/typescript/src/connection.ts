// One agent's connection to `/ws`: the first login with its retries and the reasons it can fail, then reconnecting
// with backoff and resuming the session with the resume token. What the frames mean is the client's business.
import WebSocket from 'ws';
import { type Failure, FINAL_CLOSE, closeFailure, displayUrl, httpFailure, socketFailure } from './connect-failures.js';
import { ArbiterConnectError } from './errors.js';
import type { ConnectOptions } from './types.js';

export interface ConnectionHandler {
  /** After every login: the first and each resume. */
  loggedIn(): void;
  /** Every frame other than login_ok, parsed. */
  frame(frame: Record<string, unknown>): void;
  /** The connection ended and will not come back (a final close code); `close()` does not call it. */
  ended(reason: string): void;
}

interface FirstLogin {
  resolve: () => void;
  fail: (failure: Failure) => void;
  retriesLeft: number;
  deadline: number;
  last?: Failure;
}

export class AgentConnection {
  /** The server-owned session id (stable across reconnects). */
  session: string | undefined;
  mode: string | undefined;
  /** login_ok's `protocol`: the number 1 from a 1.0 server, the string "1.1" from a 1.1 one. */
  protocol: unknown;
  live = false;
  /** Why the connection is over, once it is. */
  closedForGood: string | undefined;
  private socket: WebSocket | undefined;
  private resumeToken: string | undefined;
  private attempt = 0;
  /** Connections opened, for the message when `connect` gives up. */
  private opened = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private firstLogin: FirstLogin | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly handler: ConnectionHandler,
  ) {}

  /**
   * Connects and logs in. Rejects with an {@link ArbiterConnectError} saying why as soon as retrying cannot help or the
   * retries are spent, and at the latest after `connectTimeoutMs`.
   */
  start(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const fail = (err: ArbiterConnectError) => {
        clearTimeout(timer);
        this.firstLogin = undefined;
        this.closedForGood ??= err.message;
        void this.close();
        reject(err);
      };
      const timer = setTimeout(() => {
        const last = this.firstLogin?.last;
        const waited = `no login within ${timeoutMs} ms`;
        if (last) fail(this.connectError(last, waited));
        else fail(new ArbiterConnectError('timeout', `cannot reach ${displayUrl(this.url)}: ${waited}`));
      }, timeoutMs);
      this.firstLogin = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (failure) => fail(this.connectError(failure)),
        retriesLeft: this.options.connectRetries ?? 3,
        deadline: Date.now() + timeoutMs,
      };
      this.open();
    });
  }

  /** Whether the server speaks protocol 1.1 or later (cancel, ack status, edited verdicts). */
  get speaks11(): boolean {
    const [major = 1, minor = 0] = String(this.protocol ?? 1)
      .split('.')
      .map((part) => Number(part) || 0);
    return major > 1 || (major === 1 && minor >= 1);
  }

  /** Sends the frame when logged in; false when it could not be sent (it is up to the caller to send it again). */
  send(frame: Record<string, unknown>): boolean {
    if (!this.live || this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Closes for good; resolves once the socket is closed (after 2 s it is terminated), leaving no timer behind. */
  async close(): Promise<void> {
    this.closedForGood ??= 'closed by the client';
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.terminate(), 2000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      socket.close(1000, 'client closing');
    });
  }

  private get url(): URL {
    const url = new URL(this.options.url.replace(/^http/, 'ws'));
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
    return url;
  }

  private open(): void {
    this.reconnectTimer = undefined;
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
    socket.on('message', (data) => this.onMessage(socket, String(data)));
    socket.on('error', (err) => (failure ??= socketFailure(err, url))); // 'close' follows and decides what to do
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString(), failure));
  }

  private onMessage(socket: WebSocket, text: string): void {
    if (socket !== this.socket) return;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (frame === null || typeof frame !== 'object') return;
    if (frame.type !== 'login_ok') return this.handler.frame(frame);
    this.live = true;
    this.attempt = 0;
    this.resumeToken = frame.resume_token as string;
    this.session = frame.session as string;
    this.mode = frame.mode as string;
    this.protocol = frame.protocol;
    this.handler.loggedIn();
    this.firstLogin?.resolve();
    this.firstLogin = undefined;
  }

  private onClose(socket: WebSocket, code: number, reason: string, failure: Failure | undefined): void {
    if (socket !== this.socket) return;
    this.live = false;
    if (this.closedForGood) return;
    const first = this.firstLogin;
    if (first) {
      // Not logged in yet: say why as soon as trying again cannot help or the retries are spent.
      const cause = failure ?? closeFailure(code, reason);
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
      this.handler.ended(this.closedForGood);
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

  private connectError(failure: Failure, note?: string): ArbiterConnectError {
    const notes = [note, this.opened > 1 ? `${this.opened} attempts` : undefined].filter(Boolean).join(', ');
    // Reached, but refused (an HTTP status or a close code), or not reached at all.
    const lead = failure.status !== undefined || failure.closeCode !== undefined ? 'cannot connect to' : 'cannot reach';
    const message = `${lead} ${displayUrl(this.url)}: ${failure.detail}${notes ? ` (${notes})` : ''}`;
    return new ArbiterConnectError(failure.code, message, { closeCode: failure.closeCode, status: failure.status, cause: failure.cause });
  }
}
