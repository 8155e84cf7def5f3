/* eslint-disable @typescript-eslint/no-explicit-any */
import http from 'node:http';
import { TcpBalancer } from '../support/tcp-balancer.js';
import { ArbiterProcess } from './arbiter-process.js';

/** Several Arbiter processes on one database behind the test balancer: the deployed topology, in small. */
export class Cluster {
  readonly instances: ArbiterProcess[] = [];
  /** Every process this cluster ever ran (killed and replaced ones too), for logs on failure. */
  readonly history: ArbiterProcess[] = [];
  balancer!: TcpBalancer;
  /** `http://127.0.0.1:<balancer port>` */
  url = '';

  private constructor(
    readonly name: string,
    readonly databaseUrl: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts `size` instances (together, as a deploy would) and a balancer over them. */
  static async start(name: string, databaseUrl: string, size: number, env: Record<string, string> = {}): Promise<Cluster> {
    const cluster = new Cluster(name, databaseUrl, env);
    const started = await Promise.allSettled(
      Array.from({ length: size }, (_, i) => ArbiterProcess.start({ name: `${name}-${String.fromCharCode(97 + i)}`, databaseUrl, env })),
    );
    for (const s of started) if (s.status === 'fulfilled') cluster.add(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await cluster.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    cluster.balancer = TcpBalancer.fromUrls(cluster.instances.map((p) => p.url));
    cluster.url = await cluster.balancer.listen();
    return cluster;
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  /** Replaces instance `i` by a new process on the same port (the balancer's backend list stays as it is). */
  async restart(i: number): Promise<ArbiterProcess> {
    const next = await this.instances[i].restart();
    this.instances[i] = next;
    this.history.push(next);
    return next;
  }

  async close(): Promise<void> {
    await this.balancer?.close().catch(() => undefined);
    await Promise.all(this.history.map((p) => p.stop('SIGTERM', 10_000).catch(() => undefined)));
  }

  private add(p: ArbiterProcess): void {
    this.instances.push(p);
    this.history.push(p);
  }
}

export interface OnceResult {
  status: number;
  body: any;
}

/**
 * One HTTP request on a connection of its own (`agent: false`), so that requests sent through the balancer are
 * spread over the instances like independent clients, instead of riding one kept-alive connection to one instance.
 */
export function requestOnce(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<OnceResult> {
  const url = new URL(path, baseUrl);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Counts of each distinct value, e.g. `{ '200': 10, '410 view_limit_reached': 90 }`. */
export function tally<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}
