import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../app.factory.js';
import { loadConfig } from '../infra/config/config.js';

/**
 * Arbiter's OpenAPI document exactly as /api/openapi.json serves it, without a database: the app is built but never
 * initialised (nothing connects), and only the document route, which Swagger registers at build time, is asked.
 * The dashboard's API types are generated from it (web/scripts/api-types.mjs).
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = await createApp({ ...loadConfig({}), logLevel: 'silent', databaseUrl: 'postgresql://unused@127.0.0.1:1/unused' });
  const server = http.createServer(app.getHttpAdapter().getInstance());
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/openapi.json`);
    if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  }
}
