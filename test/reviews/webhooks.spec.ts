import { createHmac, timingSafeEqual } from 'node:crypto';
import { AgentSocket } from '../support/agent-socket.js';
import { startApp } from '../support/app.js';
import { dumpAllTables, signInAdmin, waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { DESTRUCTIVE, type ReceivedCall, type ReviewsWorld, WebhookReceiver, hitlProject, reviewsWorld } from './support.js';

/** What a receiver does, written out independently of the server's code. */
function signatureValid(secret: string, call: ReceivedCall): boolean {
  const timestamp = String(call.headers['x-arbiter-timestamp'] ?? '');
  const given = Buffer.from(String(call.headers['x-arbiter-signature'] ?? ''));
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${call.body}`).digest('hex')}`);
  return /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 60 && given.length === expected.length && timingSafeEqual(given, expected);
}

describe('review webhooks', () => {
  let world: ReviewsWorld;
  let { db, one, two, http1, http2, admin, reviewer } = {} as ReviewsWorld;
  const receivers: WebhookReceiver[] = [];
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    ({ db, one, two, http1, http2, admin, reviewer } = world);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await Promise.all(receivers.map((r) => r.close()));
    await world?.close();
  });

  it('calls the receiver, signed, for review.created, review.expiring and review.expired, retrying after a 500, with exactly one success per event', async () => {
    // Every delivery is refused the first time it arrives, and accepted after that.
    const receiver = await WebhookReceiver.start((call, previous) => (previous.some((p) => p.headers['x-arbiter-delivery'] === call.headers['x-arbiter-delivery']) ? 200 : 500));
    receivers.push(receiver);
    const project = await hitlProject(http1, admin.token, { reviewTimeoutSeconds: 5 });
    const secret = 'whsec-test-0123456789abcdef';
    const created = await http1.post(`/api/projects/${project.id}/webhooks`, { url: receiver.url, events: ['review.created', 'review.expiring', 'review.expired'], secret }, { token: admin.token });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      project_id: project.id,
      url: receiver.url,
      events: ['review.created', 'review.expiring', 'review.expired'],
      created_at: expect.any(String),
      disabled_at: null,
    });

    const { agent } = await AgentSocket.login(two.wsUrl, project.key, 'hooked');
    sockets.push(agent);
    const pending = await agent.decide('hook-1', { ...DESTRUCTIVE });
    const verdict = await agent.verdictFor('hook-1', 15_000);
    expect(verdict).toMatchObject({ decision: 'block', source: 'timeout' });

    const types = ['review.created', 'review.expiring', 'review.expired'];
    const successes = await waitFor(
      'a successful call for each event',
      async () => {
        const ok = receiver.calls.filter((c) => c.answered === 200);
        return types.every((t) => ok.some((c) => c.headers['x-arbiter-event'] === t)) ? ok : undefined;
      },
      15_000,
    );
    for (const type of types) {
      const calls = receiver.calls.filter((c) => c.headers['x-arbiter-event'] === type);
      expect(calls.map((c) => c.answered)).toEqual([500, 200]);
      expect(new Set(calls.map((c) => c.headers['x-arbiter-delivery'])).size).toBe(1);
      for (const call of calls) {
        expect(signatureValid(secret, call)).toBe(true);
        expect(call.headers['content-type']).toBe('application/json');
        const body = JSON.parse(call.body);
        expect(body).toMatchObject({ id: call.headers['x-arbiter-delivery'], type, data: { review_id: pending.review_id, event_id: 'hook-1', project_id: project.id } });
      }
    }
    expect(successes).toHaveLength(3);
    expect(JSON.parse(successes.find((c) => c.headers['x-arbiter-event'] === 'review.expired')!.body).data).toMatchObject({ status: 'expired', decision: 'block', source: 'timeout' });
    expect(signatureValid('not-the-secret-at-all', successes[0])).toBe(false);

    const rows = await db.pool.query('SELECT event_type, attempts, delivered_at, last_error FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at', [created.body.id]);
    expect(rows.rows.map((r) => [r.event_type, r.attempts, r.delivered_at !== null, r.last_error])).toEqual([
      ['review.created', 2, true, null],
      ['review.expiring', 2, true, null],
      ['review.expired', 2, true, null],
    ]);
  });

  it('hands each queued delivery to exactly one of the dispatchers on two instances', async () => {
    const receiver = await WebhookReceiver.start(() => 200);
    receivers.push(receiver);
    const project = await hitlProject(http1, admin.token);
    const hook = await http1.post(`/api/projects/${project.id}/webhooks`, { url: receiver.url, events: ['review.created'], secret: 'whsec-many-0123456789' }, { token: admin.token });
    // 60 due deliveries at once, then both instances are woken together.
    await db.pool.query(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_key, event_type, payload)
       SELECT gen_random_uuid(), $1, 'review.created:bulk-' || n, 'review.created', jsonb_build_object('n', n) FROM generate_series(1, 60) n`,
      [hook.body.id],
    );
    await db.pool.query("SELECT pg_notify('arbiter_webhook_due', '{}')");
    await waitFor('every delivery to be recorded', async () => {
      const rows = await db.pool.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND delivered_at IS NOT NULL', [hook.body.id]);
      return rows.rows[0].n === 60 ? true : undefined;
    }, 15_000);
    const ids = receiver.calls.map((c) => c.headers['x-arbiter-delivery']);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    const attempts = await db.pool.query('SELECT DISTINCT attempts FROM webhook_deliveries WHERE webhook_id = $1', [hook.body.id]);
    expect(attempts.rows).toEqual([{ attempts: 1 }]);
  });

  it('keeps the signing secret encrypted at rest and shows a generated one only once', async () => {
    const project = await hitlProject(http1, admin.token);
    const res = await http2.post(`/api/projects/${project.id}/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['review.created'] }, { token: admin.token });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    const given = await http2.post(`/api/projects/${project.id}/webhooks`, { url: 'http://127.0.0.1:9/other', events: ['review.expired'], secret: 'my-own-secret-value-123' }, { token: admin.token });
    expect(given.body).not.toHaveProperty('secret');
    const list = await http1.get(`/api/projects/${project.id}/webhooks`, { token: admin.token });
    expect(list.body.items.map((w: { url: string }) => w.url)).toEqual(['http://127.0.0.1:9/other', 'http://127.0.0.1:9/hook']);
    expect(JSON.stringify(list.body)).not.toMatch(/secret/);
    const everything = await dumpAllTables(db.pool);
    expect(everything).not.toContain(res.body.secret);
    expect(everything).not.toContain('my-own-secret-value-123');
    expect(await db.pool.query("SELECT 1 FROM audit_entries WHERE action = 'webhook.create' AND target_id = $1", [res.body.id])).toHaveProperty('rowCount', 1);

    expect((await http1.delete(`/api/projects/${project.id}/webhooks/${res.body.id}`, { token: admin.token })).status).toBe(204);
    expect((await http1.delete(`/api/projects/${project.id}/webhooks/${res.body.id}`, { token: admin.token })).status).toBe(404);
  });

  it('lets only admins manage webhooks and validates the body', async () => {
    const project = await hitlProject(http1, admin.token);
    const body = { url: 'http://127.0.0.1:9/hook', events: ['review.created'] };
    expect((await http1.post(`/api/projects/${project.id}/webhooks`, body, { token: reviewer.token })).status).toBe(403);
    expect((await http1.get(`/api/projects/${project.id}/webhooks`, { token: reviewer.token })).status).toBe(403);
    const bad = await http1.post(`/api/projects/${project.id}/webhooks`, { url: 'ftp://example.com/x', events: ['review.decided'], secret: 'short' }, { token: admin.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/url/);
    expect(bad.body.error.message).toMatch(/events/);
    expect(bad.body.error.message).toMatch(/secret/);
    expect((await http1.post(`/api/projects/${project.id}/webhooks`, { ...body, url: 'http://user:pw@example.com/x' }, { token: admin.token })).status).toBe(400);
    expect((await http1.post('/api/projects/00000000-0000-4000-8000-000000000000/webhooks', body, { token: admin.token })).status).toBe(404);
  });

  it('never holds up a verdict, even when the receiver does not answer', async () => {
    const hanging = await WebhookReceiver.start(() => 'hang');
    receivers.push(hanging);
    const project = await hitlProject(http1, admin.token);
    await http1.post(`/api/projects/${project.id}/webhooks`, { url: hanging.url, events: ['review.created', 'review.expired'] }, { token: admin.token });
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'hang');
    sockets.push(agent);
    const pending = await agent.decide('hang-1', { ...DESTRUCTIVE });
    await waitFor('the call to be under way', async () => {
      const rows = await db.pool.query("SELECT 1 FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.project_id = $1 AND d.locked_until > now()", [project.id]);
      return rows.rowCount ? true : undefined;
    });
    const started = Date.now();
    const res = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
    expect(res.status).toBe(200);
    expect(await agent.verdictFor('hang-1', 2000)).toMatchObject({ decision: 'allow', source: 'review' });
    expect(Date.now() - started).toBeLessThan(2000);
    await hanging.close();
  });

  it('refuses loopback, link-local and private webhook URLs unless the operator allows them', async () => {
    const strict = await startApp(db.url, { webhookAllowPrivate: false });
    try {
      const http = new HttpClient(strict.url);
      const token = (await signInAdmin(http)).token;
      const project = await hitlProject(http, token);
      for (const url of ['http://127.0.0.1:8080/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook', 'http://localhost:8080/hook', 'https://192.168.0.10/x']) {
        const res = await http.post(`/api/projects/${project.id}/webhooks`, { url, events: ['review.created'] }, { token });
        expect([url, res.status, res.body.error?.code]).toEqual([url, 400, 'validation_failed']);
        expect(res.body.error.message).toMatch(/loopback, link-local or private/);
      }
      const publicUrl = await http.post(`/api/projects/${project.id}/webhooks`, { url: 'https://93.184.215.14/hook', events: ['review.created'] }, { token });
      expect(publicUrl.status).toBe(201);
    } finally {
      await strict.close();
    }
  });
});
