import { formatSseEvent, parseLastEventId } from './stream-event.js';

describe('formatSseEvent', () => {
  it('writes id, event and one data line ending with a blank line', () => {
    const text = formatSseEvent({
      id: 42n,
      project_id: 'p1',
      type: 'review.created',
      payload: { note: 'two\nlines' },
      created_at: new Date('2026-01-02T03:04:05.000Z'),
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('id: 42');
    expect(lines[1]).toBe('event: review.created');
    expect(lines[2].startsWith('data: ')).toBe(true);
    expect(JSON.parse(lines[2].slice(6))).toEqual({
      id: '42',
      type: 'review.created',
      project_id: 'p1',
      at: '2026-01-02T03:04:05.000Z',
      data: { note: 'two\nlines' },
    });
    expect(lines.slice(3)).toEqual(['', '']);
  });
});

describe('parseLastEventId', () => {
  it('reads a decimal row id', () => {
    expect(parseLastEventId('17')).toBe(17n);
    expect(parseLastEventId(' 17 ')).toBe(17n);
  });

  it('ignores anything that is not a row id', () => {
    for (const bad of [undefined, '', 'abc', '-1', '1.5', '1'.repeat(19), ['1']]) expect(parseLastEventId(bad)).toBeUndefined();
  });
});
