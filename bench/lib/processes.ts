import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../../src/infra/database/embedded-postgres.js';
import { sleep } from './stats.js';

export const BENCH_ADMIN = { email: 'bench-admin@arbiter.local', password: 'bench password that is long enough' };

export interface Child {
  name: string;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

const distRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    });
}

/** Starts `node dist/src/main.js` as its own process and waits until /readyz answers 200. */
export async function startArbiter(name: string, databaseUrl: string, dataDir: string, extraEnv: Record<string, string> = {}): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(distRoot, 'src/main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ARBITER_ADMIN_EMAIL: BENCH_ADMIN.email,
      ARBITER_ADMIN_PASSWORD: BENCH_ADMIN.password,
      ARBITER_DATA_DIR: dataDir,
      ARBITER_SHARE_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${output.trim()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 60 s: ${output.trim()}`);
    }
    await sleep(100);
  }
  return { name, pid: child.pid!, url, stop: stopper(child) };
}

/** Starts bench/floors/ws-insert-server.js as its own process. */
export async function startFloorServer(databaseUrl: string): Promise<Child> {
  const child = spawn(process.execPath, [path.join(distRoot, 'bench/floors/ws-insert-server.js')], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, PORT: '0', POOL_SIZE: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`floor server did not start: ${stderr}`)), 15_000);
    child.stdout?.on('data', (c: Buffer) => {
      const m = /listening (\d+)/.exec(c.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}: ${stderr}`)));
  });
  return { name: 'ws-insert floor', pid: child.pid!, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

/** JSON over HTTP with an optional bearer token; throws on a status outside 2xx. */
export async function api<T = any>(base: string, method: string, route: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, `${method} ${route} answered ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * `api` for the timed requests: node:http on kept-alive connections, which costs the load generator (on the same
 * cores as what it measures) a fraction of fetch's CPU per request. Resolves with the status and the parsed body.
 */
export function timedRequest<T = any>(base: string, method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${route}`,
      {
        method,
        agent: keepAlive,
        headers: {
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Closes the kept-alive connections of `timedRequest`, so the process can exit. */
export function closeTimedRequests(): void {
  keepAlive.destroy();
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
