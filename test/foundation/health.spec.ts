/* eslint-disable @typescript-eslint/no-explicit-any */
import { shippedMigrations } from '../../src/infra/database/migrations.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { databaseUrlFor, withAdminClient, uniqueName } from '../support/test-database-server.js';

describe('operations endpoints', () => {
  let db: TestDatabase;
  let instance: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    instance = await startApp(db.url);
  });

  afterAll(async () => {
    await instance?.close();
    await db?.drop();
  });

  it('answers /healthz without touching the database', async () => {
    const res = await fetch(`${instance.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports ready on a reachable, migrated database', async () => {
    const res = await fetch(`${instance.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.status).toBe('ok');
    expect(body.details).toEqual({
      database: { status: 'up' },
      migrations: { status: 'up' },
      notifications: { status: 'up' },
    });
  });

  it('answers unknown routes in the one error shape, with a request id', async () => {
    const res = await fetch(`${instance.url}/no-such-route`, { headers: { 'x-request-id': 'req-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'Cannot GET /no-such-route' } });
  });

  it('refuses a body that is not JSON with a 400 in the error shape', async () => {
    const res = await fetch(`${instance.url}/healthz`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });
  });

  it('exports process metrics and an HTTP latency histogram', async () => {
    await fetch(`${instance.url}/healthz`);
    const text = await (await fetch(`${instance.url}/metrics`)).text();
    expect(text).toMatch(/process_cpu_seconds_total/);
    expect(text).toMatch(/arbiter_http_request_duration_seconds_bucket\{.*route="\/healthz".*\}/);
  });

  it('serves the OpenAPI document', async () => {
    const res = await fetch(`${instance.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).info.title).toBe('Arbiter API');
  });

  it('is not ready on a database that is behind on migrations, and says why', async () => {
    const adminUrl = process.env.ARBITER_TEST_ADMIN_URL as string;
    const empty = uniqueName('arbiter_t_empty');
    await withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE "${empty}"`));
    const behind = await startApp(databaseUrlFor(adminUrl, empty));
    try {
      const res = await fetch(`${behind.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('not_ready');
      const shipped = shippedMigrations();
      expect(body.error.message).toContain(`migrations: database is behind: ${shipped.length} pending (${shipped.join(', ')}); run npm run db:migrate`);
    } finally {
      await behind.close();
      await withAdminClient(adminUrl, (c) => c.query(`DROP DATABASE "${empty}" WITH (FORCE)`));
    }
  });
});
