import { REDACTED, redact } from './redaction.js';

const DEFAULT_KEYS = ['password', 'secret', 'token', 'api_key', 'authorization'];

describe('redact', () => {
  it('replaces listed keys at any depth, inside arrays, whatever their value', () => {
    const input = {
      url: 'https://example.com',
      password: 'hunter2',
      headers: { Authorization: 'Bearer abc', accept: 'json' },
      steps: [{ token: 'x' }, { nested: { API_KEY: { deep: 'y' } } }, 'plain'],
      secret: null,
    };
    expect(redact(input, DEFAULT_KEYS)).toEqual({
      url: 'https://example.com',
      password: REDACTED,
      headers: { Authorization: REDACTED, accept: 'json' },
      steps: [{ token: REDACTED }, { nested: { API_KEY: REDACTED } }, 'plain'],
      secret: REDACTED,
    });
  });

  it('matches project keys case-insensitively and leaves the original untouched', () => {
    const input = { Card_Number: '4111', note: 'ok' };
    expect(redact(input, ['card_NUMBER'])).toEqual({ Card_Number: REDACTED, note: 'ok' });
    expect(input.Card_Number).toBe('4111');
  });

  it('keeps values whose keys only contain a listed word', () => {
    expect(redact({ token_count: 3, passwords_rotated: true }, DEFAULT_KEYS)).toEqual({ token_count: 3, passwords_rotated: true });
  });

  it('passes scalars, null and an empty key list through', () => {
    expect(redact('password', DEFAULT_KEYS)).toBe('password');
    expect(redact(null, DEFAULT_KEYS)).toBeNull();
    expect(redact({ password: 'p' }, [])).toEqual({ password: 'p' });
  });
});

describe('redact with hostile keys', () => {
  it('keeps a "__proto__" key as data and still redacts inside it', () => {
    const input = JSON.parse('{"__proto__":{"password":"p","x":1}}') as unknown;
    const out = redact(input, DEFAULT_KEYS);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"password":"[redacted]","x":1}}');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
