import { MAX_INPUT_DEPTH, nestsDeeperThan, parseClientFrame } from './protocol.js';

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

  it('refuses, without closing, an event whose input nests deeper than the limit, and accepts one at the limit', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const at = `{"type":"event","event_id":"deep","kind":"tool","input":${nested(MAX_INPUT_DEPTH)}}`;
    expect(parseClientFrame(at)).toMatchObject({ ok: true });
    const over = `{"type":"event","event_id":"deep","kind":"tool","input":{"a":${nested(MAX_INPUT_DEPTH)}}}`;
    expect(parseClientFrame(over)).toEqual({ ok: false, fatal: false, eventId: 'deep', message: `event: input must not nest arrays and objects deeper than ${MAX_INPUT_DEPTH} levels` });
    // What overflowed the recorder's JSON.stringify: 20,000 levels.
    expect(parseClientFrame(`{"type":"event","event_id":"deeper","kind":"tool","input":${nested(20_000)}}`)).toMatchObject({ ok: false, fatal: false, eventId: 'deeper' });
  });

  it('names the event_id of a frame too deep to parse, and closes on any other frame that deep', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const event = `{"type":"event","tool":"x","meta":{"event_id":"inner"},"event_id":"e\\u0041","kind":"tool","input":${deep}}`;
    expect(parseClientFrame(event)).toEqual({ ok: false, fatal: false, eventId: 'eA', message: `event: input must not nest arrays and objects deeper than ${MAX_INPUT_DEPTH} levels` });
    expect(parseClientFrame(`{"type":"event","kind":"tool","input":${deep}}`)).toMatchObject({ ok: false, fatal: false, eventId: undefined });
    expect(parseClientFrame(`{"type":"login","session_id":"s","x":${deep}}`)).toMatchObject({ ok: false, fatal: true });
  });

  it('reads 1.1 cancel frames and ack statuses, refusing bad ones without closing', () => {
    expect(parseClientFrame('{"type":"cancel","event_id":"e1"}')).toEqual({ ok: true, frame: { type: 'cancel', event_id: 'e1' } });
    expect(parseClientFrame(JSON.stringify({ type: 'cancel', event_id: 'e1', reason: 'client_timeout\nafter 30 s' }))).toMatchObject({ ok: true });
    expect(parseClientFrame(JSON.stringify({ type: 'cancel', event_id: 'e1', reason: 'x'.repeat(2001) }))).toMatchObject({ ok: false, fatal: false, eventId: 'e1' });
    expect(parseClientFrame(JSON.stringify({ type: 'cancel', event_id: 'e1', reason: 'a\u0000b' }))).toMatchObject({ ok: false, fatal: false, eventId: 'e1' });
    expect(parseClientFrame('{"type":"cancel","event_id":"e1","extra":1}')).toMatchObject({ ok: false, fatal: false, message: 'cancel: unknown field "extra"' });
    expect(parseClientFrame('{"type":"cancel"}')).toMatchObject({ ok: false, fatal: false, eventId: undefined });

    expect(parseClientFrame('{"type":"ack","event_id":"e1"}')).toEqual({ ok: true, frame: { type: 'ack', event_id: 'e1' } });
    expect(parseClientFrame('{"type":"ack","event_id":"e1","status":"discarded"}')).toEqual({ ok: true, frame: { type: 'ack', event_id: 'e1', status: 'discarded' } });
    expect(parseClientFrame('{"type":"ack","event_id":"e1","status":"received"}')).toMatchObject({ ok: true });
    expect(parseClientFrame('{"type":"ack","event_id":"e1","status":"lost"}')).toMatchObject({ ok: false, fatal: false, message: 'ack: status must be "received" or "discarded"' });
  });

  it('measures nesting outside strings only', () => {
    expect(nestsDeeperThan('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\\"[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('[{"a":[]}]', 2)).toBe(true);
    expect(nestsDeeperThan('[{"a":[]},[]]', 3)).toBe(false);
  });
});
