/**
 * Helpers for the PostgreSQL server the tests run on (see global-setup.mjs). globalSetup prepares a migrated template database; each test file clones it (`CREATE DATABASE … TEMPLATE`), so files
 * run in parallel on databases of their own.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ENV_ADMIN_URL = 'ARBITER_TEST_ADMIN_URL';
export const ENV_TEMPLATE = 'ARBITER_TEST_TEMPLATE';

export function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
