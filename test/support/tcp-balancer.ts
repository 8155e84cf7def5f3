import net from 'node:net';

/**
 * A minimal TCP load balancer for tests: each new connection goes to the next backend, round robin (HTTP and
 * WebSocket upgrades alike, since it only pipes bytes). A backend that refuses the connection (stopped, killed,
 * restarting) is skipped and the next one tried, as nginx's `proxy_next_upstream error` does, so clients only see a
 * failure when no backend answers. Backends can be swapped while it runs.
 */
export class TcpBalancer {
  private next = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Client-side sockets of the live connections, so a test can cut them all at once. */
  private readonly clients = new Set<net.Socket>();
  /** Connections handed to each backend (`host:port`), and connect attempts it refused. */
  readonly accepted = new Map<string, number>();
  readonly refused = new Map<string, number>();
  port = 0;

  constructor(private backends: { host: string; port: number }[]) {
    this.server = net.createServer((client) => this.accept(client));
    // Thousands of agents may connect at once.
    this.server.maxConnections = 100_000;
  }

  static fromUrls(urls: string[]): TcpBalancer {
    return new TcpBalancer(urls.map(toBackend));
  }

  setBackends(urls: string[]): void {
    this.backends = urls.map(toBackend);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections handed to the backend at `url` so far. */
  acceptedBy(url: string): number {
    return this.accepted.get(keyOf(toBackend(url))) ?? 0;
  }

  /** Live client connections. */
  get liveConnections(): number {
    return this.clients.size;
  }

  /** Cuts every live connection at once (both sides), as a balancer restart or a network blip would. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    // Bytes the client sends before the backend is connected stay buffered in `client` until it is piped.
    client.pause();
    this.connect(client, this.backends.length);
  }

  private connect(client: net.Socket, attemptsLeft: number): void {
    if (client.destroyed) return;
    if (attemptsLeft <= 0 || this.backends.length === 0) return void client.destroy();
    const target = this.backends[this.next++ % this.backends.length];
    const key = keyOf(target);
    const upstream = net.connect(target.port, target.host);
    this.track(upstream);
    const refused = () => {
      this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
      this.connect(client, attemptsLeft - 1);
    };
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
      if (client.destroyed) return void upstream.destroy();
      const both = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', both);
      upstream.on('error', both);
      // A side that goes away abruptly (destroyed, not ended) is passed on as an orderly end, after what is in flight.
      client.on('close', () => upstream.end());
      upstream.on('close', () => client.end());
      client.pipe(upstream).pipe(client);
      client.resume();
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A client that goes away while its backend is being chosen: nothing to do but forget it.
    socket.on('error', () => undefined);
  }
}

function toBackend(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

function keyOf(b: { host: string; port: number }): string {
  return `${b.host}:${b.port}`;
}
