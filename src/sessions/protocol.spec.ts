import { parseClientFrame } from './protocol.js';

describe('parseClientFrame', () => {
  it('accepts a minimal login and a full one', () => {
    expect(parseClientFrame('{"type":"login","session_id":"sess-1"}')).toEqual({ ok: true, frame: { type: 'login', session_id: 'sess-1' } });
    const full = { type: 'login', session_id: 's', resume_token: 'r', api_key: 'arb_x', agent_id: 'a', source: 'cli' };
    expect(parseClientFrame(JSON.stringify(full))).toEqual({ ok: true, frame: full });
  });

  it('treats malformed frames as fatal protocol errors', () => {
    expect(parseClientFrame('not json')).toMatchObject({ ok: false, fatal: true, message: 'frame is not JSON' });
    expect(parseClientFrame('[1,2]')).toMatchObject({ ok: false, fatal: true });
    expect(parseClientFrame('{"type":"hello"}')).toMatchObject({ ok: false, fatal: true, message: 'unknown frame type "hello"' });
    expect(parseClientFrame('{"type":"login"}')).toMatchObject({ ok: false, fatal: true, message: 'login: session_id must be 1-200 printable characters' });
    expect(parseClientFrame(JSON.stringify({ type: 'login', session_id: 'x'.repeat(201) }))).toMatchObject({ ok: false, fatal: true });
    expect(parseClientFrame(JSON.stringify({ type: 'login', session_id: 'a\u0000b' }))).toMatchObject({ ok: false, fatal: true });
    expect(parseClientFrame(JSON.stringify({ type: 'login', session_id: 'a', extra: 1 }))).toMatchObject({ ok: false, fatal: true, message: 'login: unknown field "extra"' });
  });

  it('reports a bad event without closing, naming its event_id when that is valid', () => {
    expect(parseClientFrame(JSON.stringify({ type: 'event', event_id: 'e1', kind: 'shell' }))).toEqual({
      ok: false,
      fatal: false,
      message: 'event: kind must be "tool" or "llm"',
      eventId: 'e1',
    });
    expect(parseClientFrame(JSON.stringify({ type: 'event', kind: 'tool' }))).toMatchObject({ ok: false, fatal: false, eventId: undefined });
    expect(parseClientFrame(JSON.stringify({ type: 'event', event_id: 'e2', kind: 'tool', tool: '' }))).toMatchObject({ ok: false, fatal: false, eventId: 'e2' });
  });

  it('accepts events with any JSON input', () => {
    const frame = { type: 'event', event_id: 'e1', kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls', args: [1, null, { a: true }] } };
    expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    expect(parseClientFrame(JSON.stringify({ type: 'event', event_id: 'e2', kind: 'llm' }))).toMatchObject({ ok: true });
  });

  it('accepts acks', () => {
    expect(parseClientFrame('{"type":"ack","event_id":"e1"}')).toEqual({ ok: true, frame: { type: 'ack', event_id: 'e1' } });
  });
});
