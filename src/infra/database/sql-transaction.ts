import type pg from 'pg';

/**
 * One connection inside a transaction, seen as parameterised SQL text: either a pg client between BEGIN and COMMIT
 * (`pgTransaction`, for latency-sensitive paths: each round trip costs a fraction of a Prisma one) or a Prisma
 * interactive transaction (`prismaSql`), so the same repository code serves both.
 */
export interface SqlTx {
  /** `name` makes it a prepared statement on a pg connection (planned once per connection); Prisma ignores it. */
  query<T = Record<string, unknown>>(text: string, values?: unknown[], name?: string): Promise<T[]>;
  /**
   * Several parameterless statements in one round trip (the simple query protocol). Only a pg client offers it;
   * callers fall back to one `query` per statement.
   */
  script?(statements: string[]): Promise<void>;
}

/** What `prismaSql` needs of a Prisma transaction client (kept structural, so this file needs no client import). */
interface PrismaRawRunner {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

/** Statements on the pool, each in its own (autocommitted) transaction: for a single statement that is atomic alone. */
export function poolSql(pool: pg.Pool): SqlTx {
  return { query: async <T>(text: string, values?: unknown[], name?: string) => (await pool.query({ text, values, name })).rows as T[] };
}

export function prismaSql(tx: PrismaRawRunner): SqlTx {
  return { query: async <T>(text: string, values: unknown[] = []) => (await tx.$queryRawUnsafe<T[]>(text, ...values)) as T[] };
}

/**
 * Runs `fn` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it throws. A connection
 * whose ROLLBACK failed is discarded rather than returned to the pool in an unknown state.
 */
export async function pgTransaction<T>(pool: pg.Pool, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn({
      query: async <R>(text: string, values?: unknown[], name?: string) => (await client.query({ text, values, name })).rows as R[],
      script: async (statements) => {
        await client.query(statements.join(';\n'));
      },
    });
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
    throw err;
  } finally {
    client.release(broken);
  }
}
