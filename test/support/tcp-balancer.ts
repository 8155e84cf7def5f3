import net from 'node:net';

/**
 * A minimal TCP load balancer for tests: each new connection goes to the next backend, round robin (HTTP and
 * WebSocket upgrades alike, since it only pipes bytes). Backends can be swapped while it runs.
 */
export class TcpBalancer {
  private next = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private backends: { host: string; port: number }[]) {
    this.server = net.createServer((client) => {
      if (this.backends.length === 0) return client.destroy();
      const target = this.backends[this.next++ % this.backends.length];
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  static fromUrls(urls: string[]): TcpBalancer {
    return new TcpBalancer(urls.map(toBackend));
  }

  setBackends(urls: string[]): void {
    this.backends = urls.map(toBackend);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function toBackend(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}
