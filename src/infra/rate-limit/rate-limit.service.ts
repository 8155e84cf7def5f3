import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { KeyedMicroBatcher } from '../scheduling/micro-batcher.js';

export interface RateLimitState {
  /** Hits counted in the current window, this one included when it came from `hit`. */
  hits: number;
  /** Seconds until the current window ends. */
  retryAfterSeconds: number;
}

/**
 * The counting statement: `$3` hits on `$1` (the key) in a window of `$2` seconds, returning the count after them
 * (`hits`) and `retry_after` (seconds).
 */
const RATE_LIMIT_HIT_SQL = `
    INSERT INTO rate_limit_buckets AS b (key, window_start, hits)
    VALUES ($1, now(), $3::int)
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN b.window_start <= now() - make_interval(secs => $2::int) THEN $3::int ELSE b.hits + $3::int END,
      window_start = CASE WHEN b.window_start <= now() - make_interval(secs => $2::int) THEN now() ELSE b.window_start END
    RETURNING hits, CEIL(EXTRACT(EPOCH FROM (window_start + make_interval(secs => $2::int) - now())))::int AS retry_after`;

/**
 * Fixed-window counters kept in PostgreSQL, so a limit holds across every instance. Each operation is one statement:
 * concurrent hits on one key serialise on its row and none is lost.
 */
@Injectable()
export class RateLimitService {
  /** Hits on one key (and window) that arrive while its previous statement runs are counted together by the next one. */
  private readonly counters = new KeyedMicroBatcher<{ key: string; windowSeconds: number }, RateLimitState>(
    (_, hits) => this.count(hits[0].key, hits[0].windowSeconds, hits.length),
    1000,
  );

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Counts one hit on `key` and returns the window's count with it, as if the hits had been counted one by one: the
   * i-th of k hits counted together gets the count before them plus i.
   */
  async hit(key: string, windowSeconds: number): Promise<RateLimitState> {
    return this.counters.submit(`${windowSeconds}:${key}`, { key, windowSeconds });
  }

  private async count(key: string, windowSeconds: number, k: number): Promise<RateLimitState[]> {
    // Every sign-in attempt and public share request counts here first: a prepared statement, committed without
    // waiting for its flush (a count lost in a database crash is harmless; see PrismaService.bookkeepingPool).
    const { rows } = await this.prisma.bookkeepingPool.query<{ hits: number; retry_after: number }>({
      name: 'arbiter_rate_limit_hit',
      text: RATE_LIMIT_HIT_SQL,
      values: [key, windowSeconds, k],
    });
    // A window opened by a transaction that started after ours can look a second longer than the window from here.
    const retryAfterSeconds = Math.min(windowSeconds, Math.max(1, rows[0].retry_after));
    return Array.from({ length: k }, (_, i) => ({ hits: rows[0].hits - k + i + 1, retryAfterSeconds }));
  }

  /** The current window's count on `key`, without counting. */
  async peek(key: string, windowSeconds: number): Promise<RateLimitState> {
    const rows = await this.prisma.$queryRaw<{ hits: number; retry_after: number }[]>`
      SELECT hits, CEIL(EXTRACT(EPOCH FROM (window_start + make_interval(secs => ${windowSeconds}) - now())))::int AS retry_after
      FROM rate_limit_buckets
      WHERE key = ${key} AND window_start > now() - make_interval(secs => ${windowSeconds})`;
    return rows.length ? { hits: rows[0].hits, retryAfterSeconds: Math.max(1, rows[0].retry_after) } : { hits: 0, retryAfterSeconds: 0 };
  }

  /** Takes back one hit on `key` (an attempt counted up front that turned out not to count, e.g. a good sign-in). */
  async release(key: string): Promise<void> {
    await this.prisma.$executeRaw`UPDATE rate_limit_buckets SET hits = GREATEST(hits - 1, 0) WHERE key = ${key}`;
  }

  async reset(key: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM rate_limit_buckets WHERE key = ${key}`;
  }

  /** Removes windows that ended long ago (only keys starting with `keyPrefix`, when given); any instance may call it. */
  async prune(olderThanSeconds: number, keyPrefix?: string): Promise<number> {
    if (keyPrefix !== undefined) {
      return this.prisma.$executeRaw`DELETE FROM rate_limit_buckets WHERE window_start < now() - make_interval(secs => ${olderThanSeconds}) AND starts_with(key, ${keyPrefix})`;
    }
    return this.prisma.$executeRaw`DELETE FROM rate_limit_buckets WHERE window_start < now() - make_interval(secs => ${olderThanSeconds})`;
  }
}
