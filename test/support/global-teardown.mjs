import { rmSync } from 'node:fs';
import pg from 'pg';

export default async function globalTeardown() {
  const embedded = globalThis.__ARBITER_EMBEDDED__;
  if (embedded) {
    await embedded.server.stop();
    // The run's cluster is thrown away: its folder, and where it really lived when it was placed elsewhere (as root).
    rmSync(embedded.server.clusterDir, { recursive: true, force: true });
    rmSync(embedded.dir, { recursive: true, force: true });
    return;
  }
  const adminUrl = process.env.ARBITER_TEST_ADMIN_URL;
  const template = process.env.ARBITER_TEST_TEMPLATE;
  if (!adminUrl || !template) return;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Test files drop their own databases; this also catches those of a file that crashed.
    const prefix = template.replace(/^arbiter_tpl_/, 'arbiter_t_');
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
