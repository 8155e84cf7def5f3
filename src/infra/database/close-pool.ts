import type pg from 'pg';

/**
 * `pool.end()`, resolved only once every connection has really closed. pg-pool's own promise resolves as soon as it
 * has ASKED its idle clients to end; a server stopped right after (the embedded PostgreSQL at shutdown) then kills
 * backends that have not read their Terminate yet, and their "terminating connection due to administrator command"
 * reaches the pool's error handler as if a connection had failed. `timeoutMs` bounds the wait for a connection that
 * never reports its end (one whose connect failed is dropped without a 'remove').
 */
export async function closePool(pool: pg.Pool, timeoutMs = 3000): Promise<void> {
  let open = pool.totalCount;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    pool.on('remove', () => {
      if (--open <= 0) resolve();
    });
    timer = setTimeout(resolve, timeoutMs);
  });
  await pool.end();
  await closed;
  clearTimeout(timer);
}
