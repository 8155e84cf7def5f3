import { type AbortSignalLike, ArbiterClient, type Inventory, type InventoryAnswer, type Verdict } from '@arbiter-ai/sdk';

export interface LinkOptions {
  url: string;
  apiKey: string;
  sessionId: string;
  failOpen: boolean;
  timeoutMs: number;
  /** How long a call waits for a connection that is down (e.g. Arbiter restarting) before it is refused. */
  unreachableAfterMs?: number;
  log: (line: string) => void;
}

/** A verdict, or the gateway's own when Arbiter cannot be asked. */
export type GateVerdict = Pick<Verdict, 'decision' | 'reason' | 'source' | 'review_id' | 'edited' | 'input'> & { unreachable?: true };

const RETRY_MS = 2000;

/**
 * The gateway's one Arbiter session. It connects in the background and keeps trying, so the gateway serves its agent
 * even while Arbiter is down: calls are then refused (or allowed with --fail-open) with a clear reason. Once connected,
 * the SDK reconnects, resumes the session and resends calls in flight by itself.
 */
export class ArbiterLink {
  private client: ArbiterClient | undefined;
  private lastError = 'not connected yet';
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly pendingListeners = new Map<string, (reviewId: string) => void>();

  constructor(private readonly options: LinkOptions) {}

  start(): void {
    void this.connect();
  }

  /** Asks Arbiter about one action; never rejects. `onPending` hears when a reviewer holds it. */
  async decide(
    action: { event_id: string; kind: 'tool'; tool: string; input: unknown },
    signal: AbortSignalLike,
    onPending?: (reviewId: string) => void,
  ): Promise<GateVerdict> {
    const client = await this.ready(signal);
    if (signal.aborted) return { decision: 'block', reason: 'cancelled by the client', source: 'client_abort', review_id: null, edited: false, input: action.input };
    if (!client) {
      const reason = `Arbiter is unreachable at ${this.options.url} (${this.lastError})`;
      return { decision: this.options.failOpen ? 'allow' : 'block', reason, source: 'client_error', review_id: null, edited: false, input: action.input, unreachable: true };
    }
    if (onPending) this.pendingListeners.set(action.event_id, onPending);
    try {
      return await client.decide(action, { timeoutMs: this.options.timeoutMs, failOpen: this.options.failOpen, signal });
    } finally {
      this.pendingListeners.delete(action.event_id);
    }
  }

  /** Null when not connected or the server does not take inventories. */
  async reportInventory(inventory: Inventory): Promise<InventoryAnswer | null> {
    // The agent often lists tools right after starting, before the first login: wait for it as a call would.
    const client = await this.ready(new AbortController().signal);
    return client ? client.reportInventory(inventory) : null;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.close();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const client = await ArbiterClient.connect({
        url: this.options.url,
        apiKey: this.options.apiKey,
        sessionId: this.options.sessionId,
        source: 'arbiter-mcp',
        connectTimeoutMs: 5000,
        onPending: (eventId, reviewId) => this.pendingListeners.get(eventId)?.(reviewId),
      });
      if (this.closed) return void (await client.close());
      this.client = client;
      this.options.log(`connected to Arbiter (session ${client.session})`);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.options.log(`cannot connect to Arbiter: ${this.lastError}; trying again`);
      this.retry = setTimeout(() => void this.connect(), RETRY_MS);
    }
  }

  /** The client once it is logged in, waiting a little for a connection that is down; undefined if it stays down. */
  private async ready(signal: AbortSignalLike): Promise<ArbiterClient | undefined> {
    const deadline = Date.now() + (this.options.unreachableAfterMs ?? 5000);
    while (!this.closed && !signal.aborted && !this.client?.connected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (this.client && !this.client.connected) this.lastError = 'the connection is down';
    return this.client?.connected ? this.client : undefined;
  }
}
