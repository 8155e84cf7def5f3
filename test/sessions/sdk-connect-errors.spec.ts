import http from 'node:http';
import net from 'node:net';
import { ArbiterClient, ArbiterConnectError, type ConnectOptions } from '@arbiter-ai/sdk';
import { type SessionsWorld, sessionsWorld } from './support.js';

/** Every case gives `connect` 10 s; each cause must be reported well before that (retries included). */
const CONNECT_TIMEOUT_MS = 10_000;
const WELL_BEFORE_MS = 3_000;

async function connectError(url: string, apiKey: string, extra: Partial<ConnectOptions> = {}): Promise<{ error: ArbiterConnectError; elapsedMs: number }> {
  const started = performance.now();
  const error = await ArbiterClient.connect({ url, apiKey, sessionId: 'connect-errors', connectTimeoutMs: CONNECT_TIMEOUT_MS, ...extra }).then(
    async (client) => {
      await client.close();
      throw new Error(`connected to ${url}`);
    },
    (err: unknown) => err,
  );
  if (!(error instanceof ArbiterConnectError)) throw error;
  return { error, elapsedMs: performance.now() - started };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server that answers every upgrade request with `status`, counting them. */
async function refusingServer(status: number): Promise<{ url: string; upgrades: () => number; close: () => Promise<void> }> {
  let upgrades = 0;
  const server = http.createServer((_req, res) => res.writeHead(status).end());
  server.on('upgrade', (_req, socket) => {
    upgrades++;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    upgrades: () => upgrades,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('ArbiterClient.connect reports why it cannot connect', () => {
  let w: SessionsWorld;
  let port: string;

  beforeAll(async () => {
    w = await sessionsWorld('block', 1);
    port = new URL(w.apps[0].url).port;
  });
  afterAll(async () => {
    await w?.close();
  });

  it('says the connection was refused, after its retries, well before the timeout', async () => {
    const closed = await closedPort();
    const { error, elapsedMs } = await connectError(`ws://127.0.0.1:${closed}`, w.key);
    expect(error.code).toBe('connection_refused');
    expect(error.message).toBe(`cannot reach ws://127.0.0.1:${closed}/ws: connection refused (4 attempts)`);
    expect(elapsedMs).toBeLessThan(WELL_BEFORE_MS);
  });

  it('says the host name does not resolve, at once', async () => {
    const { error, elapsedMs } = await connectError('ws://no-such-host.invalid:3000', w.key);
    expect(error.code).toBe('dns');
    // The resolver's answer (NXDOMAIN) fails at once; its silence (EAI_AGAIN, the nameserver timing out) is retried.
    if (error.message.includes('EAI_AGAIN')) {
      expect(error.message).toMatch(/^cannot reach ws:\/\/no-such-host\.invalid:3000\/ws: DNS lookup of no-such-host\.invalid failed for now \(EAI_AGAIN\)/);
    } else {
      expect(error.message).toBe('cannot reach ws://no-such-host.invalid:3000/ws: host no-such-host.invalid not found (ENOTFOUND)');
      expect(elapsedMs).toBeLessThan(WELL_BEFORE_MS);
    }
  });

  it('says the TLS handshake failed when wss:// points at a plain HTTP port, at once', async () => {
    const { error, elapsedMs } = await connectError(`wss://127.0.0.1:${port}`, w.key);
    expect(error.code).toBe('tls');
    expect(error.message).toContain(`cannot reach wss://127.0.0.1:${port}/ws: TLS handshake failed`);
    expect(error.message).toContain('the server does not speak TLS on this port');
    expect(error.message).not.toContain('attempts');
    expect(elapsedMs).toBeLessThan(WELL_BEFORE_MS);
  });

  it('gives the HTTP status when the path is wrong (404), at once', async () => {
    const { error, elapsedMs } = await connectError(`ws://127.0.0.1:${port}/agents`, w.key);
    expect(error.code).toBe('http_status');
    expect(error.status).toBe(404);
    expect(error.message).toBe(`cannot connect to ws://127.0.0.1:${port}/agents: the server refused the WebSocket upgrade with HTTP 404 Not Found (Arbiter's agent endpoint is /ws)`);
    expect(elapsedMs).toBeLessThan(WELL_BEFORE_MS);
  });

  it('says the API key was refused, at once', async () => {
    const { error, elapsedMs } = await connectError(w.apps[0].url, `arb_bbbbbbbbbbbb_${'B'.repeat(43)}`);
    expect(error.code).toBe('auth');
    expect(error.closeCode).toBe(4401);
    expect(error.message).toMatch(new RegExp(`^cannot connect to ws://127\\.0\\.0\\.1:${port}/ws: the API key was refused \\(close 4401`));
    expect(elapsedMs).toBeLessThan(WELL_BEFORE_MS);
  });

  it('treats an upgrade refused with 401 as a refused key, and does not retry it', async () => {
    const server = await refusingServer(401);
    try {
      const { error } = await connectError(server.url, w.key);
      expect({ code: error.code, status: error.status, upgrades: server.upgrades() }).toEqual({ code: 'auth', status: 401, upgrades: 1 });
      expect(error.message).toBe(`cannot connect to ${server.url}/ws: the server refused the WebSocket upgrade with HTTP 401 Unauthorized`);
    } finally {
      await server.close();
    }
  });

  it('retries an upgrade refused with 503 (a restart behind a balancer) until connectTimeoutMs, then gives the status', async () => {
    const server = await refusingServer(503);
    try {
      const { error, elapsedMs } = await connectError(server.url, w.key, { connectTimeoutMs: 1000, reconnect: { initialDelayMs: 20, maxDelayMs: 40 } });
      expect({ code: error.code, status: error.status }).toEqual({ code: 'http_status', status: 503 });
      const attempts = Number(
        new RegExp(`^cannot connect to ${server.url}/ws: the server refused the WebSocket upgrade with HTTP 503 Service Unavailable \\(.*?(\\d+) attempts\\)$`).exec(error.message)?.[1],
      );
      // The attempt under way when the time ran out may not have reached the server yet.
      expect([server.upgrades(), server.upgrades() + 1]).toContain(attempts);
      // The server asked for later: retried past connectRetries (3), for as long as connectTimeoutMs allows.
      expect(server.upgrades()).toBeGreaterThan(4);
      expect(elapsedMs).toBeGreaterThanOrEqual(900);
      expect(elapsedMs).toBeLessThan(WELL_BEFORE_MS);
    } finally {
      await server.close();
    }
  });

  it('says it timed out when the server accepts but never answers', async () => {
    const silent = net.createServer();
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const { error, elapsedMs } = await connectError(`ws://127.0.0.1:${silentPort}`, w.key, { connectTimeoutMs: 500 });
      expect(error.code).toBe('timeout');
      expect(error.message).toBe(`cannot reach ws://127.0.0.1:${silentPort}/ws: no login within 500 ms`);
      expect(elapsedMs).toBeGreaterThanOrEqual(490);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('still connects and logs in when nothing is wrong', async () => {
    const client = await ArbiterClient.connect({ url: w.apps[0].url, apiKey: w.key, sessionId: 'connect-errors-ok', connectTimeoutMs: CONNECT_TIMEOUT_MS });
    expect(client.connected).toBe(true);
    await client.close();
  });
});
