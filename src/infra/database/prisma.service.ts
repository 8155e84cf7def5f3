import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import { ARBITER_CONFIG } from '../config/config.module.js';
import type { ArbiterConfig } from '../config/config.js';
import { closePool } from './close-pool.js';
import { redactedUrl } from './pg-url.js';

/**
 * The one database client. Prisma runs on adapter-pg over `pool`, and hot paths that need a single atomic statement
 * use the same pool through tagged `$queryRaw` (or `pool.query` with parameters).
 *
 * `bookkeepingPool` is a few more connections with `synchronous_commit = off`, for writes whose loss in a database
 * crash is harmless: rate-limit counters and verdict acks (a lost ack only means the verdict is sent again). A commit
 * there does not wait for its WAL flush, so a hot counter row (one address hammering a share link) is held for
 * microseconds instead of a disk flush. Everything that decides anything commits on `pool`, synchronously.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name);
  readonly pool: pg.Pool;
  readonly bookkeepingPool: pg.Pool;

  constructor(@Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig) {
    const pool = newPool(config, config.dbPoolSize);
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
    this.bookkeepingPool = newPool(config, Math.min(4, config.dbPoolSize), 'synchronous_commit=off');
  }

  async onModuleInit(): Promise<void> {
    try {
      // Both pools open a connection now: a first ack or rate-limit count should not wait for one.
      await Promise.all([this.pool.query('SELECT 1'), this.bookkeepingPool.query('SELECT 1')]);
    } catch (err) {
      throw new Error(`cannot reach the database at ${redactedUrl(this.config.databaseUrl ?? '')}: ${(err as Error).message}`);
    }
    await this.$connect();
  }

  // Last of all shutdown work: gateways release leases and requests finish (beforeApplicationShutdown) first.
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect().catch(() => undefined);
    // Ending waits for every checked-out client; one stuck in a broken transaction must not hang the shutdown.
    const ended = Promise.all([this.pool, this.bookkeepingPool].map((p) => closePool(p).catch((err: Error) => this.logger.warn(`closing the pool: ${err.message}`))));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn('database connections still in use after 3 s; closing without them');
        resolve();
      }, 3000);
    });
    await Promise.race([ended, timeout]);
    clearTimeout(timer);
  }
}

function newPool(config: ArbiterConfig, max: number, setting?: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    ...(setting ? { options: `-c ${setting}` } : {}),
  });
  // A dropped idle connection (database restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => Logger.warn(`idle database connection failed: ${err.message}`, PrismaService.name));
  return pool;
}
