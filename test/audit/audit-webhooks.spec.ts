import { createHmac, timingSafeEqual } from 'node:crypto';
import { AgentSocket } from '../support/agent-socket.js';
import { type SignedInPair, createApiKey, createProject, signedInPair, waitFor } from '../support/fixtures.js';
import { type ReceivedCall, WebhookReceiver } from '../reviews/support.js';

/** What a SIEM does with a call, written out independently of the server's code. */
function signatureValid(secret: string, call: ReceivedCall): boolean {
  const timestamp = String(call.headers['x-arbiter-timestamp'] ?? '');
  const given = Buffer.from(String(call.headers['x-arbiter-signature'] ?? ''));
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${call.body}`).digest('hex')}`);
  return /^\d+$/.test(timestamp) && given.length === expected.length && timingSafeEqual(given, expected);
}

describe('audit.entry webhooks', () => {
  let world: SignedInPair;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    world = await signedInPair({ webhookRetryBaseMs: 200 });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await world?.close();
  });

  it("delivers every audit entry of the project, signed, retried after a refusal, with its link of the hash chain, and none of another project's", async () => {
    const { http1, http2, one, admin, db } = world;
    // Each delivery is refused once, then accepted: every entry must come through a retry.
    const siem = await WebhookReceiver.start((call, previous) => (previous.some((p) => p.headers['x-arbiter-delivery'] === call.headers['x-arbiter-delivery']) ? 200 : 500));
    receivers.push(siem);
    const secret = 'whsec-siem-0123456789abcdef';
    const project = await createProject(http1, admin.token, { mode: 'hitl' });
    const other = await createProject(http1, admin.token);
    const hook = await http1.post(`/api/projects/${project.id}/webhooks`, { url: siem.url, events: ['audit.entry'], secret }, { token: admin.token });
    expect(hook.status).toBe(201);

    // Audited changes of the project through both instances, one of them (a review decision) written inside a CTE;
    // and changes of another project, which this webhook must not receive.
    expect((await http2.patch(`/api/projects/${project.id}`, { review_timeout_seconds: 600 }, { token: admin.token })).status).toBe(200);
    expect((await http1.put(`/api/projects/${project.id}/rules`, { default_action: 'allow', rules: [{ tool: 'shell.*', action: 'review' }] }, { token: admin.token })).status).toBe(200);
    const key = await createApiKey(http2, admin.token, project.id);
    const { agent } = await AgentSocket.login(one.wsUrl, key.key, 'siem-session');
    const held = await agent.decide('siem-1', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } });
    expect((await http2.post(`/api/reviews/${held.review_id}/decision`, { decision: 'deny', note: 'not today' }, { token: admin.token })).status).toBe(200);
    await agent.close();
    expect((await http1.patch(`/api/projects/${other.id}`, { review_timeout_seconds: 900 }, { token: admin.token })).status).toBe(200);
    await createApiKey(http1, admin.token, other.id);

    const { rows: expected } = await db.pool.query<{ id: string; seq: string; action: string; prev_hash: string; hash: string }>(
      `SELECT id::text, seq::text, action, prev_hash, hash FROM audit_entries
        WHERE (target_type = 'project' AND target_id = $1) OR details->>'project_id' = $1
        ORDER BY audit_entries.seq`,
      [project.id],
    );
    // From the webhook's own creation on (its entry is written in the transaction that adds the webhook).
    const fromWebhook = expected.filter((e) => Number(e.seq) >= Number(expected.find((x) => x.action === 'webhook.create')!.seq));
    expect(fromWebhook.map((e) => e.action)).toEqual(expect.arrayContaining(['webhook.create', 'project.update', 'policy.update', 'api_key.create', 'review.decide']));

    const delivered = await waitFor(
      'a successful delivery of each entry',
      async () => {
        const ok = siem.calls.filter((c) => c.answered === 200);
        return ok.length >= fromWebhook.length ? ok : undefined;
      },
      20_000,
    );
    expect(delivered).toHaveLength(fromWebhook.length);
    for (const call of delivered) {
      expect(signatureValid(secret, call)).toBe(true);
      // The same delivery id was refused once before it was accepted.
      expect(siem.calls.filter((c) => c.headers['x-arbiter-delivery'] === call.headers['x-arbiter-delivery']).map((c) => c.answered)).toEqual([500, 200]);
    }
    const bodies = delivered.map((c) => JSON.parse(c.body)).sort((a, b) => Number(a.data.seq) - Number(b.data.seq));
    expect(bodies.map((b) => b.type)).toEqual(fromWebhook.map(() => 'audit.entry'));
    expect(bodies.map((b) => [b.data.id, b.data.seq, b.data.action, b.data.prev_hash, b.data.hash])).toEqual(fromWebhook.map((e) => [e.id, e.seq, e.action, e.prev_hash, e.hash]));
    const decision = bodies.find((b) => b.data.action === 'review.decide')!;
    expect(decision.data).toMatchObject({ actor_type: 'user', actor_id: admin.id, target_type: 'review', target_id: held.review_id, details: { decision: 'deny', note: 'not today', project_id: project.id } });
    expect(bodies.some((b) => b.data.target_id === other.id || b.data.details?.project_id === other.id)).toBe(false);
  });
});
