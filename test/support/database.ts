import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ENV_ADMIN_URL, ENV_TEMPLATE, databaseUrlFor, withAdminClient } from './test-database-server.js';

export interface TestDatabase {
  url: string;
  name: string;
  /** A plain pg pool on this database, for tests that read tables directly. Closed by `drop`. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh, fully migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env[ENV_ADMIN_URL];
  const template = process.env[ENV_TEMPLATE];
  if (!adminUrl || !template) throw new Error('the test database server is not set up (run the tests with npm test)');
  const name = `${template.replace(/^arbiter_tpl_/, 'arbiter_t_')}_${randomBytes(4).toString('hex')}`;
  // PostgreSQL refuses concurrent clones of one template ("source database is being accessed"), so retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      break;
    } catch (err) {
      if (attempt > 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  const url = databaseUrlFor(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // Tests terminate backends on purpose (LISTEN reconnects, database restarts); an idle client dropping is expected.
  pool.on('error', () => undefined);
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      await withAdminClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
