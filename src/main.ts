import 'reflect-metadata';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { type ArbiterConfig, ConfigError, loadConfig } from './infra/config/config.js';
import { EmbeddedPostgres } from './infra/database/embedded-postgres.js';
import { applyMigrations } from './infra/database/migrations.js';

/** One JSON line in the same shape as the application's own logs, for the moments before and after Nest runs. */
function log(level: 'info' | 'warn' | 'error', msg: string): void {
  const levels = { info: 30, warn: 40, error: 50 };
  process.stdout.write(JSON.stringify({ level: levels[level], time: Date.now(), pid: process.pid, context: 'main', msg }) + '\n');
}

function fail(reason: string): never {
  process.stderr.write(`arbiter: ${reason}\n`);
  process.exit(1);
}

async function prepareDatabase(config: ArbiterConfig): Promise<EmbeddedPostgres | undefined> {
  if (config.databaseUrl) {
    if (config.migrateOnStart) {
      log('info', 'applying pending migrations (ARBITER_MIGRATE_ON_START)');
      await applyMigrations(config.databaseUrl, (line) => log('info', line));
    }
    return undefined;
  }
  const dir = path.resolve(config.dataDir, 'postgres');
  const embedded = new EmbeddedPostgres({
    dir,
    port: config.embeddedPgPort,
    log: (line) => {
      if (/FATAL|ERROR|PANIC/.test(line)) log('warn', `postgres: ${line}`);
    },
  });
  log('info', `starting the embedded PostgreSQL in ${config.dataDir} (set DATABASE_URL to use your own server)`);
  await embedded.start();
  config.databaseUrl = embedded.url('postgres');
  const where =
    embedded.clusterDir === dir
      ? `its cluster in ${dir}`
      : `its cluster in ${embedded.clusterDir}, where the postgres user can reach it (${dir} links to it)`;
  log('info', `embedded PostgreSQL is listening on 127.0.0.1:${embedded.port}, ${where}`);
  try {
    await applyMigrations(config.databaseUrl, (line) => log('info', line));
  } catch (err) {
    await embedded.stop();
    throw err;
  }
  return embedded;
}

async function main(): Promise<void> {
  let config: ArbiterConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }

  let embedded: EmbeddedPostgres | undefined;
  let app: INestApplication | undefined;
  let stopping = false;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal} received: draining and shutting down`);
    const force = setTimeout(() => {
      log('error', `shutdown did not finish within ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    try {
      await app?.close();
      await embedded?.stop();
      log('info', 'shutdown complete');
      process.exit(0);
    } catch (err) {
      log('error', `shutdown failed: ${(err as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    embedded = await prepareDatabase(config);
    app = await createApp(config);
    await app.listen(config.port, config.host);
  } catch (err) {
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') fail(`port ${config.port} on ${config.host} is already in use (set PORT)`);
    if (e.code === 'EACCES') fail(`not allowed to listen on port ${config.port} (set PORT)`);
    fail((e.message || String(err)).split('\n')[0]);
  }
  log('info', `Arbiter ${config.instanceId} listening on http://${config.host}:${config.port} (public URL ${config.publicUrl})`);
}

void main();
