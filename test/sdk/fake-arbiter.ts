/* eslint-disable @typescript-eslint/no-explicit-any */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A stand-in for Arbiter's `/ws`, for what a real server never sends: a forged edited verdict, an old (1.0) login_ok.
 * It logs every session in, records every frame the client sends, and hands each event to `onEvent` to answer.
 */
export class FakeArbiter {
  readonly received: any[] = [];
  private waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    private readonly protocol: unknown,
    private readonly onEvent: (frame: any, send: (frame: unknown) => void) => void,
  ) {
    server.on('connection', (socket: WebSocket) => {
      const send = (frame: unknown) => socket.send(JSON.stringify(frame));
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data));
        this.received.push(frame);
        for (const waiter of [...this.waiters]) {
          if (waiter.match(frame)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(frame);
          }
        }
        if (frame.type === 'login') {
          send({ type: 'login_ok', session: '00000000-0000-4000-8000-000000000001', connection_id: 'c1', epoch: 1, resume_token: 'r1', mode: 'hitl', protocol: this.protocol });
        } else if (frame.type === 'event') {
          this.onEvent(frame, send);
        }
      });
    });
  }

  static async start(protocol: unknown, onEvent: (frame: any, send: (frame: unknown) => void) => void): Promise<FakeArbiter> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new FakeArbiter(server, protocol, onEvent);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sends a frame to every connected client, as the server would push a verdict. */
  push(frame: unknown): void {
    for (const socket of this.server.clients) socket.send(JSON.stringify(frame));
  }

  /** Drops every connection without a close frame, as a crashed instance would. */
  drop(): void {
    for (const socket of this.server.clients) socket.terminate();
  }

  /** Connections open now. */
  get connections(): number {
    return this.server.clients.size;
  }

  /** The first frame from the client (already received or still to come) that matches. */
  next(match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such frame from the client within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
