import { createHmac } from 'node:crypto';
import { type SignedIn, type SignedInApp, createProject, createUser, signedInApp, waitFor } from '../support/fixtures.js';
import { WebhookReceiver } from '../reviews/support.js';

interface Delivery {
  id: string;
  webhook_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  delivered_at: string | null;
  last_error: string | null;
  created_at: string;
}

describe('webhook delivery log and test events', () => {
  let world: SignedInApp;
  let { db, http, admin } = {} as SignedInApp;
  let reviewer: SignedIn;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    // Two attempts, 200 ms apart: enough to see a retry and a give-up within the test.
    world = await signedInApp({ webhookMaxAttempts: 2, webhookRetryBaseMs: 200 });
    ({ db, http, admin } = world);
    reviewer = await createUser(http, admin.token, 'reviewer');
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await world?.close();
  });

  async function webhookTo(projectId: string, receiver: WebhookReceiver, secret: string): Promise<string> {
    const res = await http.post(`/api/projects/${projectId}/webhooks`, { url: receiver.url, events: ['review.created'], secret }, { token: admin.token });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const log = async (projectId: string, webhookId: string): Promise<Delivery[]> => {
    const res = await http.get(`/api/projects/${projectId}/webhooks/${webhookId}/deliveries`, { token: admin.token });
    expect(res.status).toBe(200);
    return res.body.items;
  };

  it('sends a signed webhook.test through the outbox, and the log shows the failed attempt, the retry and the delivery', async () => {
    // The first call is refused, the second accepted.
    const receiver = await WebhookReceiver.start((_call, previous) => (previous.length === 0 ? 503 : 200));
    receivers.push(receiver);
    const project = await createProject(http, admin.token);
    const secret = 'whsec-deliveries-0123456789';
    const hook = await webhookTo(project.id, receiver, secret);

    const sent = await http.post(`/api/projects/${project.id}/webhooks/${hook}/test`, undefined, { token: admin.token });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ webhook_id: hook, event_type: 'webhook.test', status: 'pending', attempts: 0, delivered_at: null, last_error: null });

    const retrying = await waitFor('a failed first attempt in the log', async () => (await log(project.id, hook)).find((d) => d.id === sent.body.id && d.status === 'retrying'), 10_000);
    expect(retrying).toMatchObject({ attempts: 1, last_error: 'answered HTTP 503', delivered_at: null });
    expect(Date.parse(retrying.next_attempt_at!)).toBeGreaterThan(Date.parse(retrying.created_at));

    const delivered = await waitFor('the delivery in the log', async () => (await log(project.id, hook)).find((d) => d.id === sent.body.id && d.status === 'delivered'), 10_000);
    expect(delivered).toMatchObject({ attempts: 2, next_attempt_at: null, last_error: null });
    expect(delivered.delivered_at).toEqual(expect.any(String));

    expect(receiver.calls.map((c) => c.answered)).toEqual([503, 200]);
    for (const call of receiver.calls) {
      expect(call.headers['x-arbiter-event']).toBe('webhook.test');
      expect(call.headers['x-arbiter-delivery']).toBe(sent.body.id);
      const timestamp = String(call.headers['x-arbiter-timestamp']);
      expect(call.headers['x-arbiter-signature']).toBe(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${call.body}`).digest('hex')}`);
      expect(JSON.parse(call.body)).toMatchObject({ id: sent.body.id, type: 'webhook.test', data: { webhook_id: hook, project_id: project.id } });
    }

    const audit = await http.get('/api/audit?action=webhook.test', { token: admin.token });
    expect(audit.body.items).toEqual([expect.objectContaining({ actor_id: admin.id, target_id: hook, details: { project_id: project.id, delivery_id: sent.body.id } })]);
  });

  it('shows a delivery given up after the last attempt as failed, with its error', async () => {
    const receiver = await WebhookReceiver.start(() => 500);
    receivers.push(receiver);
    const project = await createProject(http, admin.token);
    const hook = await webhookTo(project.id, receiver, 'whsec-always-failing-0123');
    const sent = await http.post(`/api/projects/${project.id}/webhooks/${hook}/test`, undefined, { token: admin.token });
    const failed = await waitFor('the given-up delivery', async () => (await log(project.id, hook)).find((d) => d.id === sent.body.id && d.status === 'failed'), 10_000);
    expect(failed).toMatchObject({ attempts: 2, next_attempt_at: null, delivered_at: null, last_error: 'gave up after 2 attempts: answered HTTP 500' });
  });

  it('shows a first attempt still under way as pending, not retrying', async () => {
    let arrived = 0;
    const receiver = await WebhookReceiver.start(() => {
      arrived++;
      return 'hang';
    });
    receivers.push(receiver);
    const project = await createProject(http, admin.token);
    const hook = await webhookTo(project.id, receiver, 'whsec-hanging-receiver-01');
    const sent = await http.post(`/api/projects/${project.id}/webhooks/${hook}/test`, undefined, { token: admin.token });
    await waitFor('the call under way', async () => (arrived > 0 ? true : undefined), 10_000);
    const entry = (await log(project.id, hook)).find((d) => d.id === sent.body.id);
    expect(entry).toMatchObject({ status: 'pending', attempts: 1, last_error: null, delivered_at: null });
  });

  it('pages the log newest first', async () => {
    const receiver = await WebhookReceiver.start(() => 200);
    receivers.push(receiver);
    const project = await createProject(http, admin.token);
    const hook = await webhookTo(project.id, receiver, 'whsec-paging-0123456789');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await http.post(`/api/projects/${project.id}/webhooks/${hook}/test`, undefined, { token: admin.token })).body.id);
    const first = await http.get(`/api/projects/${project.id}/webhooks/${hook}/deliveries?limit=2`, { token: admin.token });
    const second = await http.get(`/api/projects/${project.id}/webhooks/${hook}/deliveries?limit=2&cursor=${first.body.next_cursor}`, { token: admin.token });
    expect([...first.body.items, ...second.body.items].map((d: Delivery) => d.id)).toEqual(ids.reverse());
    expect(second.body.next_cursor).toBeNull();
  });

  it("refuses another project's webhook, an unknown one, and anyone but an admin", async () => {
    const receiver = await WebhookReceiver.start(() => 200);
    receivers.push(receiver);
    const mine = await createProject(http, admin.token);
    const other = await createProject(http, admin.token);
    const hook = await webhookTo(mine.id, receiver, 'whsec-refusals-0123456789');
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM webhook_deliveries')).rows[0].n;

    expect((await http.post(`/api/projects/${other.id}/webhooks/${hook}/test`, undefined, { token: admin.token })).status).toBe(404);
    expect((await http.get(`/api/projects/${other.id}/webhooks/${hook}/deliveries`, { token: admin.token })).status).toBe(404);
    expect((await http.post(`/api/projects/${mine.id}/webhooks/00000000-0000-4000-8000-000000000000/test`, undefined, { token: admin.token })).status).toBe(404);
    const refused = await http.post(`/api/projects/${mine.id}/webhooks/${hook}/test`, undefined, { token: reviewer.token });
    expect(refused.status).toBe(403);
    expect((await http.get(`/api/projects/${mine.id}/webhooks/${hook}/deliveries`, { token: reviewer.token })).status).toBe(403);

    expect((await db.pool.query('SELECT count(*)::int AS n FROM webhook_deliveries')).rows[0].n).toBe(before);
  });
});
