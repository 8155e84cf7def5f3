import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { ToolInventory } from './inventory.js';
import type { CallParams, ToolCallGate } from './tool-call-gate.js';

type Id = string | number;
type Message = Record<string, unknown> & { id?: Id; method?: string; params?: Record<string, unknown> };

export interface ProxyOptions {
  gate: ToolCallGate;
  inventory: ToolInventory;
  progressEveryMs: number;
  log: (line: string) => void;
  /** Either side closed: the proxy is over. `upstreamFirst`: the upstream server went away on its own. */
  onClose: (upstreamFirst: boolean) => void;
}

/**
 * Forwards JSON-RPC messages between the agent's transport and the upstream server's, unchanged (ids included: the
 * gateway sends no requests of its own), except:
 * - `tools/call` waits for Arbiter's verdict first (ToolCallGate); a blocked call never reaches the upstream;
 * - the client's `notifications/cancelled` of a call still waiting withdraws it instead of being forwarded;
 * - `initialize` and `tools/list` answers are read for the inventory (and tools/list filtered with --hide-blocked).
 */
export class McpProxy {
  /** Calls waiting for their verdict, by the agent's request id. */
  private readonly deciding = new Map<Id, AbortController>();
  /** Requests whose answer the gateway reads, by id. */
  private readonly watched = new Map<Id, 'initialize' | 'tools/list'>();
  /** The agent's request ids by the progress token it asked with, so the upstream's progress goes to that request. */
  private readonly progressTokens = new Map<unknown, Id>();
  private closed = false;

  constructor(
    private readonly agent: Transport,
    private readonly upstream: Transport & { setProtocolVersion?: (version: string) => void },
    private readonly options: ProxyOptions,
  ) {
    agent.onmessage = (message) => this.fromAgent(message as Message);
    upstream.onmessage = (message) => void this.fromUpstream(message as Message);
    agent.onclose = () => void this.close('the agent closed the connection');
    upstream.onclose = () => void this.close('the upstream server closed the connection', true);
    agent.onerror = (err) => options.log(`agent transport: ${err.message}`);
    upstream.onerror = (err) => options.log(`upstream transport: ${err.message}`);
  }

  async start(): Promise<void> {
    await this.upstream.start();
    await this.agent.start();
  }

  async close(why?: string, upstreamFirst = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (why) this.options.log(why);
    for (const controller of this.deciding.values()) controller.abort(new Error('the gateway is closing'));
    await Promise.allSettled([this.upstream.close(), this.agent.close()]);
    this.options.onClose(upstreamFirst);
  }

  private fromAgent(message: Message): void {
    const isRequest = message.method !== undefined && message.id !== undefined;
    if (isRequest) {
      const token = (message.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
      if (token !== undefined) this.progressTokens.set(token, message.id!);
      if (message.method === 'tools/call') return void this.gateCall(message, token);
      if (message.method === 'initialize' || message.method === 'tools/list') this.watched.set(message.id!, message.method);
    } else if (message.method === 'notifications/cancelled') {
      const controller = this.deciding.get(message.params?.requestId as Id);
      // Not yet forwarded: withdraw it from Arbiter; the upstream never hears of it.
      if (controller) return void controller.abort(new Error(String(message.params?.reason ?? 'cancelled by the client')));
    }
    this.toUpstream(message);
  }

  private async fromUpstream(message: Message): Promise<void> {
    const isResponse = message.method === undefined && message.id !== undefined;
    let related: Id | undefined;
    if (isResponse) {
      related = message.id;
      const watched = this.watched.get(message.id!);
      this.watched.delete(message.id!);
      const result = message.result as Record<string, unknown> | undefined;
      if (watched === 'initialize' && result) {
        this.options.inventory.serverInfo(result.serverInfo);
        if (typeof result.protocolVersion === 'string') this.upstream.setProtocolVersion?.(result.protocolVersion);
      } else if (watched === 'tools/list' && result) {
        message = { ...message, result: await this.options.inventory.listed(result) };
      }
      for (const [token, id] of this.progressTokens) if (id === message.id) this.progressTokens.delete(token);
    } else if (message.method === 'notifications/progress') {
      related = this.progressTokens.get(message.params?.progressToken);
    }
    this.toAgent(message, related);
  }

  private async gateCall(message: Message, progressToken: unknown): Promise<void> {
    const id = message.id!;
    const params = (message.params ?? {}) as unknown as CallParams;
    const controller = new AbortController();
    this.deciding.set(id, controller);
    let ticker: ReturnType<typeof setInterval> | undefined;
    let progress = 0;
    const onPending = (reviewId: string) => {
      if (progressToken === undefined || ticker) return;
      // The client asked for progress: tell it a person is deciding, and keep telling it so it does not time out.
      const tick = () =>
        this.toAgent({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress: ++progress, message: `waiting for a reviewer to decide (Arbiter review ${reviewId})` } }, id);
      tick();
      ticker = setInterval(tick, this.options.progressEveryMs);
    };
    try {
      const outcome = await this.options.gate.decide(params, controller.signal, onPending);
      if (outcome.kind === 'cancelled') return;
      if (outcome.kind === 'answer') return this.toAgent({ jsonrpc: '2.0', id, result: outcome.result }, id);
      const forwarded = { ...message, params: { ...message.params, arguments: outcome.arguments } };
      if (outcome.arguments === undefined) delete (forwarded.params as Record<string, unknown>).arguments;
      this.toUpstream(forwarded);
    } catch (err) {
      this.options.log(`tools/call ${params.name}: ${(err as Error).message}`);
      this.toAgent({ jsonrpc: '2.0', id, error: { code: -32603, message: `arbiter-mcp could not decide the call: ${(err as Error).message}` } }, id);
    } finally {
      clearInterval(ticker);
      this.deciding.delete(id);
    }
  }

  private toUpstream(message: Message): void {
    if (this.closed) return;
    this.upstream.send(message as JSONRPCMessage).catch((err: Error) => {
      this.options.log(`cannot send to the upstream server: ${err.message}`);
      // A request the upstream never got would wait forever: answer it.
      if (message.method !== undefined && message.id !== undefined) {
        this.toAgent({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: `upstream MCP server unreachable: ${err.message}` } }, message.id);
      }
    });
  }

  private toAgent(message: Message, relatedRequestId?: Id): void {
    if (this.closed) return;
    this.agent.send(message as JSONRPCMessage, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((err: Error) => {
      this.options.log(`cannot send to the agent: ${err.message}`);
    });
  }
}
