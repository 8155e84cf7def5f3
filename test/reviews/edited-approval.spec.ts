import { canonicalJson, eventInputSha256 } from '@arbiter-ai/sdk/canonical';
import { AgentSocket } from '../support/agent-socket.js';
import { waitFor } from '../support/fixtures.js';
import { DESTRUCTIVE, type ReviewsWorld, hitlProject, reviewsWorld } from './support.js';

const EDITED = { cmd: 'rm -rf /tmp/build/cache', cwd: '/srv' };

/** Edit-then-approve: a reviewer approves a changed input, where the project allows it; the agent is told exactly what. */
describe('approving with an edited input', () => {
  let world: ReviewsWorld;
  let { db, one, two, http1, http2, admin, reviewer } = {} as ReviewsWorld;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await reviewsWorld();
    ({ db, one, two, http1, http2, admin, reviewer } = world);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await world?.close();
  });

  it('refuses an edit where the project does not allow edits (400 edits_not_allowed), and an edit with deny (400)', async () => {
    const project = await hitlProject(http1, admin.token);
    const { agent } = await AgentSocket.login(one.wsUrl, project.key, 'no-edits');
    sockets.push(agent);
    const pending = await agent.decide('n-1', { ...DESTRUCTIVE });
    const view = await http2.get(`/api/reviews/${pending.review_id}`, { token: reviewer.token });
    expect(view.body).toMatchObject({ allow_edits: false, edited: false, edited_input: null });

    const refused = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve', input: EDITED }, { token: reviewer.token });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('edits_not_allowed');
    const denied = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'deny', input: EDITED }, { token: reviewer.token });
    expect(denied.status).toBe(400);
    expect(denied.body.error.code).toBe('validation_failed');
    // Still pending: neither refusal decided anything.
    expect((await http2.get(`/api/reviews/${pending.review_id}`, { token: reviewer.token })).body.status).toBe('pending');
  });

  it('sends the edited input with both hashes, replays the same edited verdict after a resume on another instance, and audits both hashes', async () => {
    const project = await hitlProject(http1, admin.token);
    const patched = await http1.patch(`/api/projects/${project.id}`, { allow_edits: true }, { token: admin.token });
    expect(patched.status).toBe(200);
    expect(patched.body.allow_edits).toBe(true);

    const { agent, ok } = await AgentSocket.login(one.wsUrl, project.key, 'edits');
    const pending = await agent.decide('e-1', { ...DESTRUCTIVE });
    const view = await http2.get(`/api/reviews/${pending.review_id}`, { token: reviewer.token });
    expect(view.body.allow_edits).toBe(true);

    // Checked like an event's input.
    const tooDeep = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve', input: JSON.parse('['.repeat(65) + ']'.repeat(65)) }, { token: reviewer.token });
    expect(tooDeep.status).toBe(400);
    const nul = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve', input: { cmd: 'a\u0000b' } }, { token: reviewer.token });
    expect(nul.status).toBe(400);

    const originalSha = eventInputSha256({ kind: 'tool', tool: DESTRUCTIVE.tool, input: DESTRUCTIVE.input });
    const editedSha = eventInputSha256({ kind: 'tool', tool: DESTRUCTIVE.tool, input: EDITED }, canonicalJson(EDITED));
    const res = await http2.post(`/api/reviews/${pending.review_id}/decision`, { decision: 'approve', input: EDITED }, { token: reviewer.token });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toEqual({
      event_id: 'e-1',
      decision: 'allow',
      reason: 'approved with edits',
      source: 'review',
      review_id: pending.review_id,
      input_sha256: editedSha,
      edited: true,
      input: EDITED,
      original_input_sha256: originalSha,
    });
    expect(res.body.review).toMatchObject({ status: 'approved', edited: true, edited_input: EDITED, edited_input_sha256: editedSha });

    const expected = {
      type: 'verdict',
      event_id: 'e-1',
      decision: 'allow',
      reason: 'approved with edits',
      source: 'review',
      review_id: pending.review_id,
      input_sha256: editedSha,
      edited: true,
      input: EDITED,
      original_input_sha256: originalSha,
    };
    expect(await agent.verdictFor('e-1')).toEqual(expected);

    // Gone before acking: the resumed session, on the other instance, is sent the same edited verdict from the outbox.
    agent.terminate();
    sockets.push(agent);
    const back = await waitFor('the session to be resumable', async () => {
      try {
        return await AgentSocket.login(two.wsUrl, project.key, 'edits', { resume_token: ok.resume_token });
      } catch {
        return undefined;
      }
    }, 10_000);
    sockets.push(back.agent);
    expect(await back.agent.verdictFor('e-1')).toEqual(expected);
    // And the event repeated is answered with it too.
    const repeated = back.agent.frames.length;
    back.agent.send({ type: 'event', event_id: 'e-1', ...DESTRUCTIVE });
    expect(await back.agent.nextAfter(repeated, (f) => f.event_id === 'e-1')).toEqual(expected);

    const audit = await db.pool.query(`SELECT details FROM audit_entries WHERE action = 'review.decide' AND target_id = $1`, [pending.review_id]);
    expect(audit.rows).toEqual([{ details: expect.objectContaining({ decision: 'approve', edited: true, original_input_sha256: originalSha, input_sha256: editedSha }) }]);
  });

  it('keeps a reviewer’s note as the edited verdict’s reason, and leaves a plain approval without edit fields', async () => {
    const project = await hitlProject(http1, admin.token);
    await http1.patch(`/api/projects/${project.id}`, { allow_edits: true }, { token: admin.token });
    const { agent } = await AgentSocket.login(two.wsUrl, project.key, 'notes');
    sockets.push(agent);
    const first = await agent.decide('m-1', { ...DESTRUCTIVE });
    const second = await agent.decide('m-2', { ...DESTRUCTIVE });
    const edited = await http1.post(`/api/reviews/${first.review_id}/decision`, { decision: 'approve', input: null, note: 'ran it without -rf' }, { token: reviewer.token });
    expect(edited.status).toBe(200);
    expect(await agent.verdictFor('m-1')).toMatchObject({ reason: 'ran it without -rf', edited: true, input: null });
    const plain = await http1.post(`/api/reviews/${second.review_id}/decision`, { decision: 'approve' }, { token: reviewer.token });
    expect(plain.status).toBe(200);
    const verdict = await agent.verdictFor('m-2');
    expect(Object.keys(verdict).sort()).toEqual(['decision', 'event_id', 'input_sha256', 'reason', 'review_id', 'source', 'type']);
  });
});
