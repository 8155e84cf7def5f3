import { randomUUID } from 'node:crypto';
import { eventInputSha256 } from './canonical.js';
import { AgentConnection } from './connection.js';
import { type WrapOptions, guardAction, wrapTool } from './guard.js';
import { type Inventory, type InventoryAnswer, InventoryReport } from './inventory.js';
import { PendingCalls } from './pending-calls.js';
import type { AbortSignalLike, AgentAction, ConnectOptions, DecideOptions, Verdict } from './types.js';
import { type SentAction, checkVerdict, fallbackVerdict } from './verdict-check.js';

// So that `await using` and `[Symbol.asyncDispose]` type-check for users whose lib has no esnext.disposable and who
// have no @types/node: the same declaration as TypeScript's and Node's own, which it merges with.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

/**
 * The agent side of Arbiter: send each intended action, wait for its verdict, act only on `allow`.
 *
 * Reconnects with backoff and resumes its session with the resume token; resends actions still waiting (the server
 * answers a repeated event_id with the same verdict); acknowledges every verdict and hands each to the caller once;
 * checks that a verdict's `input_sha256` is the hash of the call it sent (and an edited one's, that it replaces it);
 * fails closed on timeout. With a 1.1 server, a call given up (timeout, abort, close) is withdrawn with `cancel`, and a
 * verdict that comes after it is acked as `discarded`.
 */
export class ArbiterClient {
  private readonly connection: AgentConnection;
  private readonly calls = new PendingCalls();
  private readonly inventory = new InventoryReport();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(private readonly options: ConnectOptions) {
    this.connection = new AgentConnection(options, {
      loggedIn: () => this.onLogin(),
      frame: (frame) => this.onFrame(frame),
      ended: (reason) => {
        this.inventory.clear();
        for (const eventId of this.calls.eventIds()) this.settleWithFallback(eventId, 'client_error', reason);
      },
    });
  }

  /**
   * Connects and logs in. Rejects with an {@link ArbiterConnectError} saying why (its `code` and message) as soon as
   * retrying cannot help or the retries are spent, and at the latest after `connectTimeoutMs`.
   */
  static async connect(options: ConnectOptions): Promise<ArbiterClient> {
    const client = new ArbiterClient(options);
    await client.connection.start();
    return client;
  }

  /** The server-owned session id (stable across reconnects). */
  get session(): string | undefined {
    return this.connection.session;
  }

  get mode(): string | undefined {
    return this.connection.mode;
  }

  get connected(): boolean {
    return this.connection.live;
  }

  /**
   * Sends an action and resolves with its verdict. Never rejects for a timeout or an abort: it resolves the fallback
   * (block with source `client_timeout`, or allow with `failOpen`; block with source `client_abort`) and withdraws the
   * action. Rejects only for a caller's mistake: an input with no JSON form, or an event_id already waiting.
   */
  decide(action: AgentAction, options: DecideOptions = {}): Promise<Verdict> {
    const eventId = action.event_id ?? randomUUID();
    const tool = action.tool ?? null;
    let sent: SentAction;
    try {
      sent = { event_id: eventId, kind: action.kind, tool, input: action.input, sha256: eventInputSha256({ kind: action.kind, tool, input: action.input }) };
    } catch (err) {
      return Promise.reject(err);
    }
    const closed = this.connection.closedForGood;
    if (closed) return Promise.resolve(fallbackVerdict(sent, 'client_error', closed));
    const signal = options.signal;
    if (signal?.aborted) return Promise.resolve(fallbackVerdict(sent, 'client_abort', abortReason(signal)));
    if (this.calls.has(eventId)) return Promise.reject(new Error(`event ${eventId} is already waiting for its verdict`));
    const frame: Record<string, unknown> = { type: 'event', event_id: eventId, kind: action.kind };
    if (action.tool !== undefined) frame.tool = action.tool;
    if (action.input !== undefined) frame.input = action.input;
    if (action.agent_id !== undefined) frame.agent_id = action.agent_id;
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<Verdict>((resolve) => {
      const timer = setTimeout(() => {
        this.giveUp(eventId, fallbackVerdict(sent, 'client_timeout', `no verdict within ${timeoutMs} ms`, options.failOpen ?? false), 'client_timeout');
      }, timeoutMs);
      const onAbort = () => this.giveUp(eventId, fallbackVerdict(sent, 'client_abort', abortReason(signal!)), 'aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      const release = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.calls.add(eventId, { frame, sent, resolve, release });
      this.connection.send(frame);
    });
  }

  /**
   * Asks about `action` and runs `fn` only on allow, with `verdict.input` (a reviewer's edit, else `action.input`);
   * resolves with what `fn` returns. Throws {@link ArbiterBlockedError} otherwise, without running `fn`.
   */
  guard<I, R>(action: AgentAction & { input?: I }, fn: (input: I) => R | PromiseLike<R>, options?: DecideOptions): Promise<Awaited<R>> {
    return guardAction(this.decide.bind(this), action, fn, options);
  }

  /** `fn` behind Arbiter: every call of the returned function is `guard({ kind: 'tool', tool, input }, fn, options)`. */
  wrap<I, R>(tool: string, fn: (input: I) => R | PromiseLike<R>, options?: WrapOptions): (input: I) => Promise<Awaited<R>> {
    return wrapTool(this.decide.bind(this), tool, fn, options);
  }

  /**
   * Reports the tools this session can reach (the MCP gateway does, from its server's `tools/list`); the session's
   * page shows them. Resolves with the listed tools the project's policy always blocks, or null when the server does
   * not speak 1.1, refused the frame, or did not answer within `timeoutMs` (default 5 s). Sent again after a reconnect
   * until answered.
   */
  reportInventory(inventory: Inventory, options: { timeoutMs?: number } = {}): Promise<InventoryAnswer | null> {
    if (this.connection.closedForGood || (this.connection.live && !this.connection.speaks11)) return Promise.resolve(null);
    return this.inventory.report(inventory, options.timeoutMs ?? 5000, (frame) => this.connection.send(frame));
  }

  /**
   * Closes the connection. Calls still waiting resolve block (`client_error`) and are withdrawn; nothing of the client
   * is left to keep the process running.
   */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const eventId of this.calls.eventIds()) {
      this.giveUp(eventId, fallbackVerdict(this.calls.get(eventId)!.sent, 'client_error', 'client closed'), 'client_closed');
    }
    this.inventory.clear();
    await this.connection.close();
  }

  /** `await using arbiter = await ArbiterClient.connect(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private onLogin(): void {
    // Whatever was sent before the connection dropped may not have arrived: send again (idempotent by event_id).
    for (const frame of this.calls.frames()) this.connection.send(frame);
    if (this.connection.speaks11) {
      for (const [eventId, reason] of this.calls.unansweredCancels()) this.connection.send({ type: 'cancel', event_id: eventId, reason });
      const inventory = this.inventory.unanswered();
      if (inventory) this.connection.send(inventory);
    } else this.inventory.clear();
  }

  private onFrame(frame: Record<string, unknown>): void {
    const eventId = typeof frame.event_id === 'string' ? frame.event_id : undefined;
    switch (frame.type) {
      case 'verdict':
        if (eventId) this.onVerdict(eventId, frame);
        return;
      case 'pending':
        // A resent event (after a reconnect) is answered with the same pending again: tell the caller once.
        if (eventId && this.calls.firstHold(eventId)) this.options.onPending?.(eventId, frame.review_id as string);
        return;
      case 'cancelled':
        if (eventId) this.calls.cancelAnswered(eventId);
        return;
      case 'inventory_ok':
        this.inventory.answer(frame);
        return;
      case 'error':
        if (frame.code === 'internal' && this.connection.live) {
          // The server could not record an action just now; try the waiting ones again shortly. One retry for all the
          // errors of a round: a retry per error would resend every waiting action once per failed one, and grow.
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            for (const waiting of this.calls.frames()) this.connection.send(waiting);
          }, 250);
        } else if (eventId && frame.code === 'validation_failed') {
          this.settleWithFallback(eventId, 'client_error', `refused: ${String(frame.message)}`);
        } else if (!eventId && typeof frame.message === 'string' && frame.message.startsWith('inventory:')) {
          this.inventory.clear();
        }
        return;
    }
  }

  private onVerdict(eventId: string, frame: Record<string, unknown>): void {
    const call = this.calls.get(eventId);
    if (!call) {
      // A replay of a verdict handed over already (received), or one that came after its caller gave up (discarded).
      this.ack(eventId, this.calls.wasGivenUp(eventId) ? 'discarded' : 'received');
      return;
    }
    const check = checkVerdict(frame, call.sent);
    if (!check.ok) {
      this.ack(eventId, 'discarded');
      this.calls.discard(eventId, fallbackVerdict(call.sent, 'client_error', check.reason));
      return;
    }
    this.ack(eventId, 'received');
    this.calls.settle(eventId, check.verdict);
  }

  /** `discarded` only to a 1.1 server: a 1.0 one refuses the field, and takes any ack as received. */
  private ack(eventId: string, status: 'received' | 'discarded'): void {
    const frame: Record<string, unknown> = { type: 'ack', event_id: eventId };
    if (status === 'discarded' && this.connection.speaks11) frame.status = status;
    this.connection.send(frame);
  }

  /** The caller stops waiting: it gets `verdict`, and the action is withdrawn (a 1.1 server only knows cancel). */
  private giveUp(eventId: string, verdict: Verdict, cancelReason: string): void {
    if (!this.calls.giveUp(eventId, verdict, cancelReason)) return;
    if (this.connection.speaks11) this.connection.send({ type: 'cancel', event_id: eventId, reason: cancelReason });
  }

  private settleWithFallback(eventId: string, source: 'client_error', reason: string): void {
    const call = this.calls.get(eventId);
    if (call) this.calls.discard(eventId, fallbackVerdict(call.sent, source, reason));
  }
}

function abortReason(signal: AbortSignalLike): string {
  const reason = signal.reason;
  const said = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
  return said ? `aborted by the caller: ${said}` : 'aborted by the caller';
}
