import { ArbiterBlockedError, ArbiterClient, type Verdict } from '@arbiter-ai/sdk';
import { waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';
import { type SessionsWorld, destructive, harmless, sessionsWorld } from '../sessions/support.js';

/**
 * Protocol 1.1 end to end, the SDK against two real instances on one database: a caller that gives up (timeout,
 * abort) withdraws its review everywhere at once; a reviewer's edited approval is what the guarded function runs; a
 * verdict that comes after its caller gave up is acked as discarded, and the transcript says so.
 */

let w: SessionsWorld;
let instances: HttpClient[];
const clients: ArbiterClient[] = [];

beforeAll(async () => {
  w = await sessionsWorld('hitl', 2);
  instances = w.apps.map((app) => new HttpClient(app.url));
});
afterAll(async () => {
  // A failed test leaves its client waiting: close them all (closing twice is harmless).
  await Promise.all(clients.map((client) => client.close()));
  await w?.close();
});

/** A client on the first instance that records the review of each held action. */
async function agent(sessionId: string) {
  const held = new Map<string, string>();
  const client = await ArbiterClient.connect({ url: w.apps[0].url, apiKey: w.key, sessionId, onPending: (eventId, reviewId) => held.set(eventId, reviewId) });
  const reviewOf = (eventId: string) => waitFor(`the review of ${eventId}`, async () => held.get(eventId), 10_000);
  clients.push(client);
  return { client, reviewOf, held };
}

/** The review's status as each instance's API reports it. */
async function statusEverywhere(reviewId: string): Promise<string[]> {
  return Promise.all(instances.map(async (http) => (await http.get(`/api/reviews/${reviewId}`, { token: w.adminToken })).body.status as string));
}

/** Waits (at most 1 s) until both instances report the review withdrawn. */
function withdrawnEverywhere(reviewId: string) {
  return waitFor('the review to be withdrawn on both instances', async () => ((await statusEverywhere(reviewId)).every((s) => s === 'withdrawn') ? true : undefined), 1000, 20);
}

async function expectDecisionRefused(reviewId: string) {
  const res = await instances[1].post(`/api/reviews/${reviewId}/decision`, { decision: 'approve' }, { token: w.adminToken });
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({ code: 'already_decided', details: expect.objectContaining({ status: 'withdrawn' }) });
}

describe('a caller that gives up withdraws its review', () => {
  it('on timeout: block (client_timeout), the review is withdrawn on either instance within 1 s, a later decision gets 409', async () => {
    const { client, reviewOf } = await agent('cancel-timeout');
    // Long enough for the review to exist first, far shorter than the project's review window.
    const verdict = client.decide({ event_id: 'cancel-t', ...destructive } as never, { timeoutMs: 3000 });
    const reviewId = await reviewOf('cancel-t');
    await expect(verdict).resolves.toMatchObject({ decision: 'block', source: 'client_timeout' });
    await withdrawnEverywhere(reviewId);
    await expectDecisionRefused(reviewId);
    await client.close();
  });

  it('on abort: block (client_abort), guard does not run the function, the review is withdrawn within 1 s, a later decision gets 409', async () => {
    const { client, reviewOf } = await agent('cancel-abort');
    const controller = new AbortController();
    const ran: unknown[] = [];
    const guarded = client.guard({ event_id: 'cancel-a', ...(destructive as { kind: 'tool'; tool: string; input: unknown }) }, (input) => ran.push(input), { signal: controller.signal });
    const reviewId = await reviewOf('cancel-a');
    controller.abort();
    await expect(guarded).rejects.toBeInstanceOf(ArbiterBlockedError);
    await expect(guarded).rejects.toMatchObject({ source: 'client_abort', reviewId: null, eventId: 'cancel-a' });
    await withdrawnEverywhere(reviewId);
    await expectDecisionRefused(reviewId);
    expect(ran).toEqual([]);
    await client.close();
  });
});

describe('edit then approve', () => {
  it('runs the guarded function with the input the reviewer approved', async () => {
    const allow = await w.http.patch(`/api/projects/${w.projectId}`, { allow_edits: true }, { token: w.adminToken });
    expect(allow.status).toBe(200);
    const { client, reviewOf, held } = await agent('edit-approve');
    const ran: unknown[] = [];
    const writeGuarded = client.wrap('shell.exec', async (input: { cmd: string }) => {
      ran.push(input);
      return `ran ${input.cmd}`;
    });
    const outcome = writeGuarded({ cmd: 'rm -rf /var/data' });
    // wrap makes its own event_id: the session's one held action is this one.
    const reviewId = await waitFor('the held action', async () => [...held.values()][0], 10_000);
    const edit = { cmd: 'rm -rf /var/data/tmp' };
    const decided = await instances[1].post(`/api/reviews/${reviewId}/decision`, { decision: 'approve', input: edit, note: 'the tmp folder only' }, { token: w.adminToken });
    expect(decided.status).toBe(200);
    await expect(outcome).resolves.toBe('ran rm -rf /var/data/tmp');
    expect(ran).toEqual([edit]);

    // decide() shows the same: the verdict says it was edited, and what to run.
    const pending = client.decide({ event_id: 'edit-2', ...destructive } as never);
    const second = await reviewOf('edit-2');
    await instances[0].post(`/api/reviews/${second}/decision`, { decision: 'approve', input: edit }, { token: w.adminToken });
    const verdict: Verdict = await pending;
    expect(verdict).toMatchObject({ decision: 'allow', source: 'review', edited: true, input: edit, reason: 'approved with edits' });
    expect(verdict.original_input_sha256).toMatch(/^[0-9a-f]{64}$/);
    await client.close();
  });
});

describe('a verdict after its caller gave up', () => {
  it('is acked as discarded, and the session transcript shows it discarded, not acted on', async () => {
    const { client } = await agent('late-verdict');
    // A 1 ms timeout passes before the policy's verdict can come back: the SDK cancels (the server answers
    // already_decided) and the verdict, delivered all the same, reaches a caller that is gone.
    const late = await client.decide({ event_id: 'late-1', ...harmless } as never, { timeoutMs: 1, failOpen: false });
    expect(late).toMatchObject({ decision: 'block', source: 'client_timeout' });
    const onTime = await client.decide({ event_id: 'on-time-1', ...harmless } as never);
    expect(onTime).toMatchObject({ decision: 'allow', source: 'policy' });

    const transcript = await waitFor('both verdicts acked', async () => {
      const res = await instances[1].get(`/api/sessions/${client.session}`, { token: w.adminToken });
      const events = res.body.events as { event_id: string; verdict: { acked: boolean } | null }[];
      return events.length === 2 && events.every((e) => e.verdict?.acked) ? events : undefined;
    }, 5000);
    expect(transcript.map((e) => [e.event_id, e.verdict])).toEqual([
      ['late-1', expect.objectContaining({ decision: 'allow', source: 'policy', acked: true, ack_status: 'discarded' })],
      ['on-time-1', expect.objectContaining({ decision: 'allow', source: 'policy', acked: true, ack_status: 'received' })],
    ]);
    await client.close();
  });
});
