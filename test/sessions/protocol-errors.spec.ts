import { AgentSocket } from '../support/agent-socket.js';
import { MAX_INPUT_DEPTH } from '../../src/sessions/protocol.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

describe('agent protocol: bad input', () => {
  let w: SessionsWorld;

  beforeAll(async () => {
    w = await sessionsWorld('block', 1, { wsLoginTimeoutMs: 300, wsMaxFrameBytes: 4096 });
  });
  afterAll(() => w?.close());

  async function closedAfter(frames: (string | Buffer)[], apiKey: string | null = w.key) {
    const agent = await AgentSocket.open(w.apps[0].wsUrl, apiKey ?? undefined);
    for (const f of frames) agent.sendRaw(f);
    return { closed: await agent.closed, frames: agent.frames };
  }

  it('closes with 4400 on a frame that is not JSON', async () => {
    const { closed, frames } = await closedAfter(['{not json']);
    expect(closed.code).toBe(4400);
    expect(frames).toEqual([{ type: 'error', code: 'protocol_error', message: 'frame is not JSON' }]);
  });

  it('closes with 4400 on an unknown frame type and on an event before login', async () => {
    expect((await closedAfter([JSON.stringify({ type: 'subscribe' })])).closed.code).toBe(4400);
    const early = await closedAfter([JSON.stringify({ type: 'event', event_id: 'e', kind: 'tool' })]);
    expect(early.closed.code).toBe(4400);
    expect(early.frames[0].message).toBe('the first frame must be login');
  });

  it('closes with 4400 on binary frames and on a second login', async () => {
    expect((await closedAfter([Buffer.from([1, 2, 3])])).closed.code).toBe(4400);
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'twice');
    agent.send({ type: 'login', session_id: 'twice' });
    expect((await agent.closed).code).toBe(4400);
  });

  it('closes with 4401 without a key, with a wrong key, and with a revoked-looking key', async () => {
    expect((await closedAfter([JSON.stringify({ type: 'login', session_id: 's' })], null)).closed.code).toBe(4401);
    const wrong = `arb_aaaaaaaaaaaa_${'A'.repeat(43)}`;
    expect((await closedAfter([JSON.stringify({ type: 'login', session_id: 's' })], wrong)).closed.code).toBe(4401);
    // The key may also come in the login frame.
    const viaFrame = await AgentSocket.open(w.apps[0].wsUrl);
    viaFrame.send({ type: 'login', session_id: 'via-frame', api_key: w.key });
    expect(await viaFrame.next((f) => f.type === 'login_ok')).toMatchObject({ type: 'login_ok' });
    await viaFrame.close();
  });

  it('closes with 4408 when no login arrives in time', async () => {
    const agent = await AgentSocket.open(w.apps[0].wsUrl, w.key);
    expect((await agent.closed).code).toBe(4408);
  });

  it('closes with 1009 on a frame over the size limit', async () => {
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'big');
    agent.send({ type: 'event', event_id: 'big', kind: 'tool', input: { blob: 'x'.repeat(5000) } });
    expect((await agent.closed).code).toBe(1009);
  });

  it('answers a bad event with an error frame naming it and keeps the connection, even 1,000 times in a row', async () => {
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'garbage');
    const bystander = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'bystander');
    for (let i = 0; i < 1000; i++) agent.send({ type: 'event', event_id: `bad-${i}`, kind: 'shell' });
    await agent.next((f) => f.type === 'error' && f.event_id === 'bad-999');
    expect(agent.frames.filter((f) => f.type === 'error' && f.code === 'validation_failed')).toHaveLength(1000);
    expect(agent.frames[1]).toEqual({ type: 'error', code: 'validation_failed', message: 'event: kind must be "tool" or "llm"', event_id: 'bad-0' });
    expect(await agent.decide('good-after-garbage', harmless)).toMatchObject({ type: 'verdict', decision: 'allow' });
    expect(await bystander.agent.decide('bystander-ok', harmless)).toMatchObject({ type: 'verdict' });
    const { rows } = await w.db.pool.query("SELECT count(*)::int AS n FROM agent_events WHERE event_id LIKE 'bad-%'");
    expect(rows[0].n).toBe(0);
    await Promise.all([agent.close(), bystander.agent.close()]);
  });

  it('refuses input PostgreSQL cannot store without closing', async () => {
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'nul');
    agent.send({ type: 'event', event_id: 'nul-1', kind: 'tool', tool: 'x', input: { s: 'a\u0000b' } });
    expect(await agent.next((f) => f.type === 'error' && f.event_id === 'nul-1')).toMatchObject({ code: 'validation_failed' });
    expect(await agent.decide('nul-after', harmless)).toMatchObject({ type: 'verdict' });
    await agent.close();
  });

  it(`refuses an input nested deeper than ${MAX_INPUT_DEPTH} levels with an error frame naming the limit, and keeps the connection`, async () => {
    const { agent } = await AgentSocket.login(w.apps[0].wsUrl, w.key, 'deep');
    const nested = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels));
    agent.send({ type: 'event', event_id: 'too-deep', kind: 'tool', tool: 'x', input: nested(MAX_INPUT_DEPTH + 1) });
    expect(await agent.next((f) => f.type === 'error' && f.event_id === 'too-deep')).toEqual({
      type: 'error',
      code: 'validation_failed',
      message: `event: input must not nest arrays and objects deeper than ${MAX_INPUT_DEPTH} levels`,
      event_id: 'too-deep',
    });
    expect(await agent.decide('at-the-limit', { kind: 'tool', tool: 'x', input: nested(MAX_INPUT_DEPTH) })).toMatchObject({ type: 'verdict', decision: 'allow' });
    const { rows } = await w.db.pool.query("SELECT count(*)::int AS n FROM agent_events WHERE event_id = 'too-deep'");
    expect(rows[0].n).toBe(0);
    await agent.close();
  });
});
