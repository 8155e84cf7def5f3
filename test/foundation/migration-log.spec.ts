import { applyMigrations, shippedMigrations } from '../../src/infra/database/migrations.js';
import { databaseUrlFor, uniqueName, withAdminClient } from '../support/test-database-server.js';

describe('the migration log', () => {
  const adminUrl = process.env.ARBITER_TEST_ADMIN_URL as string;
  const name = uniqueName('arbiter_t_migration_log');

  beforeAll(() => withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`)));
  afterAll(() => withAdminClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('names each migration it applies, then says there is nothing to apply', async () => {
    const url = databaseUrlFor(adminUrl, name);
    const first: string[] = [];
    await applyMigrations(url, (line) => first.push(line));
    expect(first.filter((line) => line.includes('migration.sql'))).toEqual([]);
    for (const migration of shippedMigrations()) expect(first).toContain(`applied migration ${migration}`);

    const second: string[] = [];
    await applyMigrations(url, (line) => second.push(line));
    expect(second).toEqual(['No pending migrations to apply.']);
  });
});
