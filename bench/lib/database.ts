import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../../src/infra/database/embedded-postgres.js';
import { applyMigrations } from '../../src/infra/database/migrations.js';

export interface BenchDatabase {
  url: string;
  /** `embedded PostgreSQL` or `DATABASE_URL` */
  kind: string;
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database: on DATABASE_URL's server when set, else on an embedded PostgreSQL in a temp folder. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `arbiter_bench_${process.pid}`;
  const quiet = () => undefined;
  if (process.env.DATABASE_URL) {
    const server = process.env.DATABASE_URL;
    await admin(server, `CREATE DATABASE ${name}`);
    const url = withDatabase(server, name);
    await applyMigrations(url, quiet);
    return { url, kind: 'DATABASE_URL', drop: () => admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'arbiter-bench-'));
  chmodSync(dir, 0o755); // as root the cluster runs as the postgres user, which must reach its folder
  const embedded = new EmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: 0 });
  await embedded.start();
  await admin(embedded.url('postgres'), `CREATE DATABASE ${name}`);
  const url = embedded.url(name);
  await applyMigrations(url, quiet);
  return {
    url,
    kind: 'embedded PostgreSQL',
    async drop() {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
