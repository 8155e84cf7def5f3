// Runs in Jest's parent process, outside its module system, so it is plain JavaScript.
// First it builds dist/ (Prisma client, the agent SDK's sdk/typescript/dist, the server's TypeScript, each only when
// changed: scripts/build.mjs), once for the whole run, before Jest loads any test: the tests import @arbiter-ai/sdk's
// built files, the suites that start real server processes run dist/src/main.js, and two workers compiling the same
// files at once could hand one of them a half-written file. Then the dashboard's web/dist, also only when changed.
// The PostgreSQL server for the run: DATABASE_URL's when set, else one embedded server, run by the same code as
// `npm start`'s (dist/src/infra/database/embedded-postgres.js), so that as root from a private folder it is placed
// where the postgres user can reach it, as for users.
// A migrated template database is prepared once; each test file clones it (test/support/database.ts).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateDeploy } from '../../scripts/prisma.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function buildDist() {
  const { status, signal } = spawnSync(process.execPath, [path.join(projectRoot, 'scripts/build.mjs')], { cwd: projectRoot, stdio: 'inherit' });
  if (status !== 0) throw new Error(`building dist/ failed (${signal ?? `exit ${status}`}): the tests run what npm start runs`);
}

// The dashboard (web/dist) too, once, here: built inside a suite's beforeAll it ran while the other worker's suites
// waited on its lock, and under CI load the wait passed a hook's timeout (the admin pages' suite failed so).
function buildWeb() {
  const { status, signal } = spawnSync(process.execPath, [path.join(projectRoot, 'web/scripts/build-if-changed.mjs')], { cwd: projectRoot, stdio: 'inherit' });
  if (status !== 0) throw new Error(`building web/dist failed (${signal ?? `exit ${status}`}): the dashboard's suites test the built app`);
}

export default async function globalSetup() {
  buildDist();
  buildWeb();
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  let adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    process.stdout.write(`\n[arbiter tests] PostgreSQL: DATABASE_URL's server (${new URL(adminUrl).host})\n`);
  } else {
    const { EmbeddedPostgres } = await import(path.join(projectRoot, 'dist/src/infra/database/embedded-postgres.js'));
    const dir = path.join(os.tmpdir(), `arbiter-test-pg-${runId}`);
    const server = new EmbeddedPostgres({
      dir,
      port: 0,
      settings: { max_connections: '400', fsync: 'off', synchronous_commit: 'off' },
    });
    await server.start();
    globalThis.__ARBITER_EMBEDDED__ = { server, dir };
    const url = new URL(server.url());
    url.host = `127.0.0.1:${server.port}`;
    adminUrl = url.toString();
    process.stdout.write(`\n[arbiter tests] PostgreSQL: embedded, 127.0.0.1:${server.port}, cluster in ${server.clusterDir}\n`);
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
