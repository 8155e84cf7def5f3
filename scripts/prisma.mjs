#!/usr/bin/env node
// Runs the Prisma CLI the way it works on our machines: offline, with the JavaScript schema engine, and for
// `migrate deploy` under our own PostgreSQL advisory lock, because Prisma's own lock is unreliable through the
// driver adapter's pool (concurrent deploys were seen to fail waiting for it).
//
//   node scripts/prisma.mjs generate
//   DATABASE_URL=… node scripts/prisma.mjs migrate deploy
//   DATABASE_URL=… node scripts/prisma.mjs migrate status
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

// Any fixed 64-bit number works, as long as every Arbiter instance and tool uses the same one.
export const MIGRATION_LOCK_KEY = 7_245_031_881n;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function prismaCliPath() {
  return path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
}

// `migrate deploy` prints one of these when its work is done; the Wasm engine then keeps a 10 s timer alive.
const DEPLOY_DONE = /All migrations have been successfully applied\.|No pending migrations to apply\./;

function runCli(args, databaseUrl) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [prismaCliPath(), ...args], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        // Without a URL the CLI falls back to downloading a native engine, which cannot work offline.
        DATABASE_URL: databaseUrl,
        PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    });
    let finished = false;
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      if (!finished && args[0] === 'migrate' && args[1] === 'deploy' && DEPLOY_DONE.test(chunk.toString())) {
        finished = true;
        // The migrations are committed; only the engine's idle timer is left, so end the CLI now.
        setTimeout(() => child.kill('SIGTERM'), 100).unref();
      }
    });
    child.on('exit', (code, signal) => resolve(finished ? 0 : (code ?? (signal ? 1 : 0))));
  });
}

async function withMigrationLock(databaseUrl, fn) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Applies pending migrations; resolves to the CLI's exit code. Safe to call from several processes at once. */
export async function migrateDeploy(databaseUrl) {
  return withMigrationLock(databaseUrl, () => runCli(['migrate', 'deploy'], databaseUrl));
}

async function main(argv) {
  const [command, sub] = argv;
  if (command === 'generate') {
    process.exit(await runCli(['generate', '--no-hints'], process.env.DATABASE_URL || 'postgresql://generate-only'));
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error(`prisma ${argv.join(' ')}: DATABASE_URL is not set (the embedded default migrates itself at npm start)`);
    process.exit(2);
  }
  if (command === 'migrate' && sub === 'deploy') {
    try {
      process.exit(await migrateDeploy(databaseUrl));
    } catch (err) {
      console.error(`prisma migrate deploy: cannot reach the database: ${err.message}`);
      process.exit(1);
    }
  }
  process.exit(await runCli(argv, databaseUrl));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
