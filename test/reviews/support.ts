/* eslint-disable @typescript-eslint/no-explicit-any */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { type SignedIn, type SignedInPair, createApiKey, createProject, createUser, signedInPair } from '../support/fixtures.js';
import type { HttpClient } from '../support/http.js';

/** An event the rule below sends to review. */
export const DESTRUCTIVE = { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /tmp/build', cwd: '/srv' } } as const;

/** Two instances on a fresh database, a signed-in admin and a reviewer: where every review spec starts. */
export interface ReviewsWorld extends SignedInPair {
  reviewer: SignedIn;
}

export async function reviewsWorld(): Promise<ReviewsWorld> {
  const pair = await signedInPair();
  return { ...pair, reviewer: await createUser(pair.http1, pair.admin.token, 'reviewer') };
}

export interface HitlProject {
  id: string;
  key: string;
}

/**
 * A project in `hitl` mode whose only rule sends `shell.* … rm -rf` to review (the rule), with an API key.
 * `ruleTimeoutDecision` left out: the rule has none and the project's `timeout_decision` applies.
 */
export async function hitlProject(
  http: HttpClient,
  adminToken: string,
  opts: { reviewTimeoutSeconds?: number; reviewMaxTimeoutSeconds?: number; ruleTimeoutDecision?: 'allow' | 'block'; projectTimeoutDecision?: 'allow' | 'block' } = {},
): Promise<HitlProject> {
  const project = await createProject(http, adminToken, {
    mode: 'hitl',
    ...(opts.reviewTimeoutSeconds ? { review_timeout_seconds: opts.reviewTimeoutSeconds } : {}),
    ...(opts.projectTimeoutDecision ? { timeout_decision: opts.projectTimeoutDecision } : {}),
  });
  if (opts.reviewMaxTimeoutSeconds) {
    const res = await http.patch(`/api/projects/${project.id}`, { review_max_timeout_seconds: opts.reviewMaxTimeoutSeconds }, { token: adminToken });
    if (res.status !== 200) throw new Error(`patch project: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const rule: Record<string, unknown> = { kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command' };
  if (opts.ruleTimeoutDecision) rule.timeout_decision = opts.ruleTimeoutDecision;
  const rules = await http.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [rule] }, { token: adminToken });
  if (rules.status !== 200) throw new Error(`put rules: ${rules.status} ${JSON.stringify(rules.body)}`);
  const key = await createApiKey(http, adminToken, project.id);
  return { id: project.id, key: key.key };
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: any;
}

/** A minimal EventSource over fetch, for tests: buffers every event so a test can wait for one that already came. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  private waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  private readonly abort = new AbortController();
  ended = false;

  static async open(baseUrl: string, token: string | undefined, opts: { lastEventId?: string; query?: string } = {}): Promise<SseClient> {
    const client = new SseClient();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
    const res = await fetch(`${baseUrl}/api/stream${opts.query ?? ''}`, { headers, signal: client.abort.signal });
    client.status = res.status;
    if (res.status !== 200 || !res.body) {
      client.ended = true;
      client.errorBody = await res.text();
      return client;
    }
    void client.read(res.body);
    return client;
  }

  errorBody: string | undefined;

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as any as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.parse(block);
        }
      }
    } catch {
      // aborted
    }
    this.ended = true;
  }

  private parse(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    const parsed: SseEvent = { id, event, data: JSON.parse(data.join('\n')) };
    this.events.push(parsed);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(parsed)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(parsed);
      }
    }
  }

  next(match: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching SSE event within ${timeoutMs} ms; last: ${JSON.stringify(this.events.slice(-3))}`));
      }, timeoutMs);
      const done = (e: SseEvent) => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * A TCP proxy that can play a network partition (test/support/tcp-balancer.ts only balances): new connections go to
 * the current target. `freeze()` makes the instances behind it unreachable without closing anything (no FIN, no RST:
 * what a killed or partitioned machine looks like), and `cutClients()` then drops the client side only, so the
 * server side still believes it is connected.
 */
export class PartitioningProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozenAtStart: boolean }>();
  private frozen = false;
  port = 0;

  constructor(private target: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<PartitioningProxy> {
    const lb = new PartitioningProxy(targetPort);
    await new Promise<void>((resolve) => lb.server.listen(0, '127.0.0.1', resolve));
    lb.port = (lb.server.address() as AddressInfo).port;
    return lb;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  retarget(port: number): void {
    this.target = port;
  }

  /** Stops forwarding in both directions on every existing connection; new connections go to the current target. */
  freeze(): void {
    this.frozen = true;
  }

  /** Drops the client side of the connections made before freeze(); their server side stays open, unaware. */
  cutClients(): void {
    for (const pair of this.pairs) if (!pair.frozenAtStart) pair.client.destroy();
  }

  private accept(client: net.Socket): void {
    const frozenAtStart = this.frozen;
    const upstream = net.connect(this.target, '127.0.0.1');
    const pair = { client, upstream, frozenAtStart };
    this.pairs.add(pair);
    // Connections made after freeze() are to the new target and flow normally.
    const passes = () => !this.frozen || frozenAtStart;
    client.on('data', (d) => {
      if (passes()) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (passes()) client.write(d);
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => {
      if (passes()) upstream.destroy();
    });
    upstream.on('close', () => {
      if (passes()) client.destroy();
    });
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ReceivedCall {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A webhook receiver: records every call, and answers each with what `answer` says. */
export class WebhookReceiver {
  readonly calls: ReceivedCall[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  url = '';

  constructor(private readonly answer: (call: Omit<ReceivedCall, 'answered'>, previous: ReceivedCall[]) => number | 'hang') {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const call = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const status = this.answer(call, this.calls);
        if (status === 'hang') return;
        this.calls.push({ ...call, answered: status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try again');
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(answer: WebhookReceiver['answer']): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(answer);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hooks/arbiter`;
    return receiver;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
