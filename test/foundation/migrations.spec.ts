import { applyMigrations, shippedMigrations } from '../../src/infra/database/migrations.js';
import { databaseUrlFor, uniqueName, withAdminClient } from '../support/test-database-server.js';

describe('migrations', () => {
  const adminUrl = process.env.ARBITER_TEST_ADMIN_URL as string;
  const name = uniqueName('arbiter_t_migrate');

  beforeAll(() => withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`)));
  afterAll(() => withAdminClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('applies each migration exactly once when three instances migrate at the same moment', async () => {
    const url = databaseUrlFor(adminUrl, name);
    const results = await Promise.allSettled([1, 2, 3].map(() => applyMigrations(url, () => undefined)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const rows = await withAdminClient(url, async (c) =>
      (await c.query('SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY 1')).rows,
    );
    expect(rows).toEqual(shippedMigrations().map((migration_name) => ({ migration_name, finished: true })));
  });
});
