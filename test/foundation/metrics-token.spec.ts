import { loadConfig } from '../../src/infra/config/config.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';

describe('GET /metrics', () => {
  const token = 'scrape-token-0123456789abcdef';
  let db: TestDatabase;
  let guarded: TestApp;
  let open: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    [guarded, open] = await Promise.all([startApp(db.url, { metricsToken: token }), startApp(db.url)]);
  });

  afterAll(async () => {
    await Promise.all([guarded?.close(), open?.close()]);
    await db?.drop();
  });

  // As Prometheus asks.
  const scrape = (app: TestApp, authorization?: string) =>
    fetch(`${app.url}/metrics`, { headers: { accept: 'text/plain;version=0.0.4', ...(authorization ? { authorization } : {}) } });

  it('with ARBITER_METRICS_TOKEN set, answers 401 without the token or with a wrong one, and the metrics with it', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token, `Basic ${token}`]) {
      const res = await scrape(guarded, authorization);
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const res = await scrape(guarded, `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/process_cpu_seconds_total/);
  });

  it('without it, stays open as before', async () => {
    const res = await scrape(open);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/arbiter_http_request_duration_seconds/);
  });

  it('reads the token from the environment and refuses a short one', () => {
    expect(loadConfig({ ARBITER_METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(() => loadConfig({ ARBITER_METRICS_TOKEN: 'short' })).toThrow(/ARBITER_METRICS_TOKEN must be at least 16 characters/);
  });
});
