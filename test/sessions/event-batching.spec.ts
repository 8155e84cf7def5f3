import { PrismaService } from '../../src/infra/database/prisma.service.js';
import { countNamedStatements } from '../support/statement-counter.js';
import { type EventToRecord, EventRecorderRepository } from '../../src/sessions/event-recorder.repository.js';
import { AgentSocket } from '../support/agent-socket.js';
import { type SessionsWorld, sessionsWorld } from './support.js';

/**
 * Policy verdicts are recorded in batches under load (EventRecorderRepository). These drive the recorder directly with
 * concurrent calls, which is what makes batches, and check that every event still gets exactly its own outcome.
 */
describe('batched verdict recording', () => {
  let world: SessionsWorld;
  let recorder: EventRecorderRepository;
  const agents: AgentSocket[] = [];
  /** How many statements of each name the app sent, to see that batches were formed. */
  let statements = new Map<string, number>();

  beforeAll(async () => {
    world = await sessionsWorld('block');
    recorder = world.apps[0].app.get(EventRecorderRepository);
    statements = countNamedStatements(world.apps[0].app.get(PrismaService).pool);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
    await world?.close();
  });

  async function sessions(prefix: string, count: number): Promise<{ id: string; epoch: number }[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const { agent, ok } = await AgentSocket.login(world.apps[0].wsUrl, world.key, `${prefix}-${i}`);
        agents.push(agent);
        return { id: ok.session as string, epoch: ok.epoch as number };
      }),
    );
  }

  function event(session: { id: string; epoch: number }, eventId: string, input: unknown = { path: '/tmp/x' }): EventToRecord {
    return {
      sessionId: session.id,
      projectId: world.projectId,
      epoch: session.epoch,
      frame: { type: 'event', event_id: eventId, kind: 'tool', tool: 'fs.read', input },
      inputSha256: `sha-${eventId}`,
      ruleAction: 'allow',
      rule: null,
    };
  }

  async function rowsFor(sessionIds: string[]): Promise<{ events: number; verdicts: number }> {
    const { rows } = await world.db.pool.query(
      `SELECT (SELECT count(*) FROM agent_events WHERE session_id = ANY($1::uuid[]))::int AS events,
              (SELECT count(*) FROM verdicts WHERE session_id = ANY($1::uuid[]))::int AS verdicts`,
      [sessionIds],
    );
    return rows[0];
  }

  it('records 40 concurrent events of 40 sessions, each once, each answered with its own verdict', async () => {
    const held = await sessions('batch', 40);
    statements.clear();
    const outcomes = await Promise.all(held.map((s, i) => recorder.recordVerdict(event(s, `e-${i}`), i % 2 ? 'allow' : 'block', `reason ${i}`)));
    outcomes.forEach((o, i) => {
      expect(o).toMatchObject({ kind: 'verdict', frame: { event_id: `e-${i}`, decision: i % 2 ? 'allow' : 'block', reason: `reason ${i}`, input_sha256: `sha-e-${i}` } });
    });
    expect(new Set(outcomes.map((o) => (o.kind === 'verdict' ? o.verdictId : ''))).size).toBe(40);
    expect(await rowsFor(held.map((s) => s.id))).toEqual({ events: 40, verdicts: 40 });
    // Two went alone (two batches may be under way at once); the other 38 waited and went in at most a few batches.
    expect(statements.get('arbiter_record_verdict')).toBe(2);
    expect(statements.get('arbiter_record_verdicts')).toBeGreaterThanOrEqual(1);
    expect(statements.get('arbiter_record_verdicts')).toBeLessThanOrEqual(3);

    // The same events again, concurrently: each gets its first verdict back and nothing new is written.
    const again = await Promise.all(held.map((s, i) => recorder.recordVerdict(event(s, `e-${i}`), 'block', 'ignored')));
    again.forEach((o, i) => expect(o.kind === 'verdict' && o.verdictId).toBe(outcomes[i].kind === 'verdict' && outcomes[i].verdictId));
    expect(await rowsFor(held.map((s) => s.id))).toEqual({ events: 40, verdicts: 40 });
  });

  it('refuses only the event PostgreSQL cannot store, and only the event of a session no longer held, in a batch', async () => {
    const held = await sessions('mixed', 12);
    statements.clear();
    const calls = held.map((s, i) => {
      if (i === 4) return recorder.recordVerdict(event(s, 'nul', { text: 'a\u0000b' }), 'allow', 'ok');
      if (i === 7) return recorder.recordVerdict(event({ id: s.id, epoch: s.epoch + 1 }, 'stale'), 'allow', 'ok');
      return recorder.recordVerdict(event(s, `m-${i}`), 'allow', 'ok');
    });
    const settled = await Promise.allSettled(calls);
    settled.forEach((r, i) => {
      if (i === 4) expect(r.status === 'rejected' && (r.reason as { code?: string }).code).toBe('22P05');
      else if (i === 7) expect(r).toEqual({ status: 'fulfilled', value: { kind: 'not_held' } });
      else expect(r.status === 'fulfilled' && r.value.kind).toBe('verdict');
    });
    expect(await rowsFor(held.map((s) => s.id))).toEqual({ events: 10, verdicts: 10 });
    // The batch holding the bad event failed whole and was recorded again one event at a time.
    expect(statements.get('arbiter_record_verdicts')).toBe(1);
    expect(statements.get('arbiter_record_verdict')).toBe(12);
  });

  it('fails only the event whose input cannot be serialised, and answers every other event of its batch', async () => {
    const held = await sessions('poisoned', 12);
    // 20,000 levels: JSON.stringify overflows the stack on it (the gateway refuses such input at parse time; the
    // recorder must not let one bad event fail the other sessions' events anyway).
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    statements.clear();
    const settled = await Promise.allSettled(
      held.map((s, i) => recorder.recordVerdict(event(s, `p-${i}`, i === 5 ? deep : { n: i }), 'allow', 'ok')),
    );
    settled.forEach((r, i) => {
      if (i === 5) expect(r.status === 'rejected' && r.reason).toBeInstanceOf(RangeError);
      else expect(r.status === 'fulfilled' && r.value).toMatchObject({ kind: 'verdict', frame: { event_id: `p-${i}` } });
    });
    expect(await rowsFor(held.map((s) => s.id))).toEqual({ events: 11, verdicts: 11 });
  });

  it('answers not_held for a taken-over session inside a batch, and records the rest', async () => {
    const held = await sessions('stale', 10);
    statements.clear();
    const outcomes = await Promise.all(held.map((s, i) => recorder.recordVerdict(event(i === 6 ? { id: s.id, epoch: s.epoch + 1 } : s, `s-${i}`), 'allow', 'ok')));
    expect(outcomes.map((o) => o.kind)).toEqual(held.map((_, i) => (i === 6 ? 'not_held' : 'verdict')));
    expect(statements.get('arbiter_record_verdicts')).toBeGreaterThanOrEqual(1);
    expect(await rowsFor(held.map((s) => s.id))).toEqual({ events: 9, verdicts: 9 });
  });

  it('answers many agents sending at once, end to end, each with its own verdict', async () => {
    const many = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const { agent } = await AgentSocket.login(world.apps[0].wsUrl, world.key, `e2e-${i}`);
        agents.push(agent);
        return agent;
      }),
    );
    for (let round = 0; round < 5; round++) {
      const verdicts = await Promise.all(many.map((a, i) => a.decide(`r${round}-${i}`, i % 3 ? { kind: 'tool', tool: 'fs.read', input: { n: i } } : { kind: 'tool', tool: 'net.fetch', input: { n: i } })));
      verdicts.forEach((v, i) => expect(v).toMatchObject({ type: 'verdict', event_id: `r${round}-${i}`, decision: i % 3 ? 'allow' : 'block' }));
    }
  });
});
