/** What an agent is about to do. `event_id` is the idempotency key; the SDK makes one when it is left out. */
export interface AgentAction {
  event_id?: string;
  kind: 'tool' | 'llm';
  tool?: string;
  input?: unknown;
  agent_id?: string;
}

/**
 * Where a verdict came from. From the server: `policy`, `review` (a person), `timeout` (the review expired). From
 * this SDK: `client_timeout` (no verdict within `timeoutMs`), `client_abort` (the caller's `signal` aborted), and
 * `client_error` (the connection ended for good, `close()` was called, the server refused the action, or a verdict
 * failed its hash check).
 */
export type VerdictSource = 'policy' | 'review' | 'timeout' | 'client_timeout' | 'client_abort' | 'client_error';

export interface Verdict {
  event_id: string;
  decision: 'allow' | 'block';
  reason: string;
  source: VerdictSource;
  review_id: string | null;
  /** The hash of the action to run: of the reviewer's edited input when `edited`, else of the one sent. */
  input_sha256: string;
  /** True when a reviewer approved an edited input: run `input`, not what you sent. */
  edited: boolean;
  /** The input to run: the reviewer's edit when `edited`, else the caller's own input (the same object). */
  input: unknown;
  /** Only when `edited`: the hash of the input this SDK sent, as the server recorded it. */
  original_input_sha256?: string;
}

/**
 * What `decide` needs of an abort signal. The standard `AbortSignal` (Node's or the DOM's) is one; it is described
 * here rather than named so that this package's types need neither Node's nor the DOM's declarations.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface DecideOptions {
  /** Give up waiting after this long (default 30 s): the action is withdrawn (cancel) and the verdict is a fallback. */
  timeoutMs?: number;
  /** On timeout, allow instead of block. Off by default: Arbiter fails closed. An abort always blocks. */
  failOpen?: boolean;
  /** Give up when this aborts: the action is withdrawn and the verdict is block with source `client_abort`. */
  signal?: AbortSignalLike;
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
