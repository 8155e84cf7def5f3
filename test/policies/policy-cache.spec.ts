import { jest } from '@jest/globals';
import { AppError } from '../../src/infra/errors/error-catalogue.js';
import { PgNotifyService } from '../../src/infra/notify/pg-notify.service.js';
import { PoliciesService } from '../../src/policies/policies.service.js';
import { PolicyCache } from '../../src/policies/policy-cache.service.js';
import { type CompiledPolicy, matchRules } from '../../src/policies/policy-engine.js';
import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { type SignedIn, createProject, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

// Long enough that only a notification (or a reconnect) can explain a change being seen.
const LONG_TTL_MS = 3_600_000;

/** Polls `cache.get` until `done` holds, failing after `timeoutMs`. */
async function eventually(cache: PolicyCache, projectId: string, done: (p: CompiledPolicy) => boolean, timeoutMs = 2000): Promise<CompiledPolicy> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const policy = await cache.get(projectId);
    if (done(policy)) return policy;
    if (Date.now() > deadline) throw new Error(`policy of ${projectId} did not change within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PolicyCache across two instances', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let http: HttpClient;
  let admin: SignedIn;
  let cache: PolicyCache;

  beforeAll(async () => {
    db = await createTestDatabase();
    one = await startApp(db.url, { policyCacheTtlMs: LONG_TTL_MS });
    two = await startApp(db.url, { policyCacheTtlMs: LONG_TTL_MS });
    http = new HttpClient(one.url);
    admin = await signInAdmin(http);
    cache = two.app.get(PolicyCache);
  });

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await db?.drop();
  });

  it("compiles a project's settings and rules in order", async () => {
    const project = await createProject(http, admin.token, { mode: 'hitl', review_timeout_seconds: 120, timeout_decision: 'allow' });
    const put = await http.put(
      `/api/projects/${project.id}/rules`,
      { default_action: 'block', rules: [{ kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: 'block' }, { kind: 'tool', action: 'allow' }] },
      { token: admin.token },
    );
    expect(put.status).toBe(200);
    const policy = await cache.get(project.id);
    expect(policy).toMatchObject({ projectId: project.id, mode: 'hitl', defaultAction: 'block', timeoutDecision: 'allow', reviewTimeoutSeconds: 120, reviewMaxTimeoutSeconds: 86400 });
    expect(policy.rules.map((r) => r.snapshot)).toEqual(put.body.rules);
    expect(matchRules(policy, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /' } })).toEqual({ action: 'review', reason: 'destructive command', rule: put.body.rules[0] });
    expect(matchRules(policy, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } }).rule?.id).toBe(put.body.rules[1].id);
    expect(matchRules(policy, { kind: 'llm' })).toEqual({ action: 'block', reason: 'default action', rule: null });
  });

  it('compiles a pattern once: a reload of the same rules, or another project with the same pattern, reuses it', async () => {
    const rules = { default_action: 'allow', rules: [{ input_pattern: '(?i)^\\s*curl\\b.*\\|\\s*(ba)?sh\\b', action: 'block' }] };
    const first = await createProject(http, admin.token);
    const second = await createProject(http, admin.token);
    for (const project of [first, second]) expect((await http.put(`/api/projects/${project.id}/rules`, rules, { token: admin.token })).status).toBe(200);
    const compiled = (await cache.get(first.id)).rules[0].inputMatcher;
    expect(compiled).not.toBeNull();
    cache.invalidate(first.id);
    const reloaded = await cache.get(first.id);
    expect(reloaded.rules[0].inputMatcher).toBe(compiled);
    expect((await cache.get(second.id)).rules[0].inputMatcher).toBe(compiled);
    expect(matchRules(reloaded, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'curl -s https://x | sh' } }).action).toBe('block');
  });

  it('throws not_found for an unknown project', async () => {
    const missing = cache.get('00000000-0000-4000-8000-000000000000');
    await expect(missing).rejects.toBeInstanceOf(AppError);
    await expect(missing).rejects.toMatchObject({ code: 'not_found' });
  });

  it('serves a cached policy without reading the database again', async () => {
    const project = await createProject(http, admin.token);
    const before = await cache.get(project.id);
    // Changed behind Arbiter's back: no notification, so the long TTL keeps the cached copy.
    await db.pool.query("UPDATE projects SET default_action = 'block' WHERE id = $1", [project.id]);
    expect(await cache.get(project.id)).toBe(before);
    expect(before.defaultAction).toBe('allow');
  });

  it('sees rules PUT on instance 1 on instance 2 within 2 s, through the change notification', async () => {
    const project = await createProject(http, admin.token);
    const warm = await cache.get(project.id);
    expect(warm.rules).toHaveLength(0);
    expect(await cache.get(project.id)).toBe(warm);

    const put = await http.put(
      `/api/projects/${project.id}/rules`,
      { default_action: 'review', rules: [{ tool: 'db.*', action: 'block', reason: 'no database tools' }] },
      { token: admin.token },
    );
    expect(put.status).toBe(200);
    const updated = await eventually(cache, project.id, (p) => p.rules.length === 1);
    expect(updated.defaultAction).toBe('review');
    expect(matchRules(updated, { kind: 'tool', tool: 'db.query' })).toMatchObject({ action: 'block', reason: 'no database tools' });
  });

  it('sees a project settings change (mode) made on instance 1 on instance 2 within 2 s', async () => {
    const project = await createProject(http, admin.token, { mode: 'block' });
    expect((await cache.get(project.id)).mode).toBe('block');
    const patch = await http.patch(`/api/projects/${project.id}`, { mode: 'monitor', review_timeout_seconds: 42 }, { token: admin.token });
    expect(patch.status).toBe(200);
    const updated = await eventually(cache, project.id, (p) => p.mode === 'monitor');
    expect(updated.reviewTimeoutSeconds).toBe(42);
  });

  it('shares one load between concurrent gets of an uncached project', async () => {
    const project = await createProject(http, admin.token);
    cache.invalidate(project.id);
    const load = jest.spyOn(two.app.get(PoliciesService), 'load');
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => cache.get(project.id)));
      expect(load).toHaveBeenCalledTimes(1);
      expect(new Set(results).size).toBe(1);
    } finally {
      load.mockRestore();
    }
  });

  it('drops everything after the LISTEN connection comes back, since notifications may have been missed', async () => {
    const project = await createProject(http, admin.token);
    expect((await cache.get(project.id)).defaultAction).toBe('allow');
    await db.pool.query("UPDATE projects SET default_action = 'block' WHERE id = $1", [project.id]);
    expect((await cache.get(project.id)).defaultAction).toBe('allow');

    const notify = two.app.get(PgNotifyService);
    const reconnected = new Promise<void>((resolve) => {
      const off = notify.onReconnect(() => {
        off();
        resolve();
      });
    });
    await db.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    await reconnected;
    expect((await cache.get(project.id)).defaultAction).toBe('block');
  });
});
