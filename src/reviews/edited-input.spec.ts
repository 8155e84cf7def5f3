import { canonicalJson, eventInputSha256 } from '../policies/canonical-event.js';
import { checkEditedInput } from './edited-input.js';

describe('checkEditedInput', () => {
  const event = { kind: 'tool' as const, tool: 'shell.exec' };

  it('hashes the edit over the event’s kind and tool, as the agent will', () => {
    const input = { cmd: 'ls', cwd: '/srv' };
    expect(checkEditedInput(input, event, 65536)).toEqual({ ok: true, inputSha256: eventInputSha256({ ...event, input }, canonicalJson(input)) });
    expect(checkEditedInput(null, { kind: 'llm', tool: null }, 65536)).toEqual({ ok: true, inputSha256: eventInputSha256({ kind: 'llm', tool: null, input: null }) });
  });

  it('refuses what an event input may not be: too deep, too large, a NUL character', () => {
    expect(checkEditedInput(JSON.parse('['.repeat(65) + ']'.repeat(65)), event, 65536)).toMatchObject({ ok: false });
    expect(checkEditedInput(JSON.parse('['.repeat(64) + ']'.repeat(64)), event, 65536)).toMatchObject({ ok: true });
    expect(checkEditedInput({ text: 'x'.repeat(2000) }, event, 1024)).toMatchObject({ ok: false, message: expect.stringContaining('1024 bytes') });
    expect(checkEditedInput({ text: 'a\u0000b' }, event, 65536)).toMatchObject({ ok: false, message: 'input cannot contain \\u0000' });
    // A backslash followed by the letters u0000 is text, not a NUL.
    expect(checkEditedInput({ text: 'a\\u0000b' }, event, 65536)).toMatchObject({ ok: true });
  });
});
