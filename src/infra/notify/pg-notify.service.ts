import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { ARBITER_CONFIG } from '../config/config.module.js';
import type { ArbiterConfig } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import type { NotifyChannel } from './notify-channel.js';

type Handler = (payload: unknown) => void;

/** Anything that can run a parameterised statement: the pool, or a client inside a transaction. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/**
 * Cross-instance fan-out over PostgreSQL LISTEN/NOTIFY. One dedicated listening connection per instance; after it
 * drops it reconnects with backoff, LISTENs again, and tells `onReconnect` subscribers, who must sweep their outbox
 * for anything notified while the connection was down (NOTIFY is not stored).
 */
@Injectable()
export class PgNotifyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PgNotifyService.name);
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private client: pg.Client | undefined;
  private connected = false;
  private stopping = false;
  private backoffMs = 100;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly prisma: PrismaService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  /** True while the listening connection is up. */
  get listening(): boolean {
    return this.connected;
  }

  /** Calls `handler` for every notification on `channel`, from any instance. Returns an unsubscribe function. */
  subscribe<T>(channel: NotifyChannel<T>, handler: (payload: T) => void): () => void {
    let set = this.handlers.get(channel.name);
    if (!set) {
      set = new Set();
      this.handlers.set(channel.name, set);
      if (this.connected) void this.listen(channel.name);
    }
    set.add(handler as Handler);
    return () => set.delete(handler as Handler);
  }

  /** Called after the listening connection came back: notifications may have been missed meanwhile. */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  /** Sends on commit when `runner` is inside a transaction, at once otherwise. */
  async publish<T>(channel: NotifyChannel<T>, payload: T, runner: SqlRunner = this.prisma.pool): Promise<void> {
    await runner.query('SELECT pg_notify($1, $2)', [channel.name, JSON.stringify(payload)]);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.databaseUrl, keepAlive: true, connectionTimeoutMillis: 5000 });
    client.on('notification', (msg) => this.dispatch(msg.channel, msg.payload));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    for (const name of this.handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(name)}`);
    this.client = client;
    this.connected = true;
    this.backoffMs = 100;
  }

  private listening$: Promise<void> = Promise.resolve();

  /** LISTENs one at a time: pg does not queue concurrent queries on one client for us. */
  private listen(name: string): Promise<void> {
    this.listening$ = this.listening$.then(async () => {
      try {
        await this.client?.query(`LISTEN ${pg.escapeIdentifier(name)}`);
      } catch (err) {
        this.logger.warn(`LISTEN ${name} failed: ${(err as Error).message}`);
      }
    });
    return this.listening$;
  }

  private dispatch(channel: string, raw: string | undefined): void {
    const set = this.handlers.get(channel);
    if (!set?.size) return;
    let payload: unknown;
    try {
      payload = raw ? JSON.parse(raw) : undefined;
    } catch {
      this.logger.warn(`ignoring a malformed notification on ${channel}`);
      return;
    }
    for (const handler of set) {
      try {
        handler(payload);
      } catch (err) {
        this.logger.error(`handler for ${channel} failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.client || this.stopping) return;
    this.client = undefined;
    this.connected = false;
    client.end().catch(() => undefined);
    this.logger.warn(`LISTEN connection lost (${err.message}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopping) return;
    this.reconnectTimer = setTimeout(async () => {
      try {
        await this.connect();
        this.logger.log('LISTEN connection re-established');
        for (const handler of this.reconnectHandlers) {
          try {
            handler();
          } catch (e) {
            this.logger.error(`reconnect handler failed: ${(e as Error).message}`);
          }
        }
      } catch (e) {
        this.backoffMs = Math.min(this.backoffMs * 2, 5000);
        this.logger.warn(`LISTEN reconnect failed (${(e as Error).message}); retrying in ${this.backoffMs} ms`);
        this.scheduleReconnect();
      }
    }, this.backoffMs);
  }
}
