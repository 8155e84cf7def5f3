import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.factory.js';
import { type ArbiterConfig, loadConfig } from '../../src/infra/config/config.js';
import { type TestDatabase, createTestDatabase } from './database.js';

/** The first admin every test app bootstraps. */
export const TEST_ADMIN = { email: 'admin@arbiter.test', password: 'correct horse battery staple' };

export interface TestApp {
  app: NestExpressApplication;
  config: ArbiterConfig;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * Boots the full application on a random port against `databaseUrl`, as `npm start` would. Call it twice on one
 * database for two instances.
 */
export async function startApp(databaseUrl: string, overrides: Partial<ArbiterConfig> = {}): Promise<TestApp> {
  const config: ArbiterConfig = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    logLevel: (process.env.ARBITER_TEST_LOG_LEVEL as ArbiterConfig['logLevel']) ?? 'silent',
    webhookAllowPrivate: true,
    adminEmail: TEST_ADMIN.email,
    adminPassword: TEST_ADMIN.password,
    ...overrides,
    databaseUrl,
  };
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    close: () => app.close(),
  };
}

/** A fresh database with `count` instances on it, for tests across instances. */
export interface Cluster {
  db: TestDatabase;
  apps: TestApp[];
  close(): Promise<void>;
}

export async function startCluster(count: number, overrides: Partial<ArbiterConfig> = {}): Promise<Cluster> {
  const db = await createTestDatabase();
  const apps = await Promise.all(Array.from({ length: count }, () => startApp(db.url, overrides)));
  return {
    db,
    apps,
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      await db.drop();
    },
  };
}
