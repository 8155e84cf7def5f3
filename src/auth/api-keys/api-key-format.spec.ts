import { looksLikeApiKey, newApiKey, parseApiKey } from './api-key-format.js';

describe('API key format', () => {
  it('makes keys that parse back into their prefix and secret', () => {
    const { key, prefix, secret } = newApiKey();
    expect(key).toMatch(/^arb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key)).toEqual({ prefix, secret });
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it('carries at least 192 random bits in the secret', () => {
    // 43 base64url characters encode 32 bytes = 256 bits.
    expect(Buffer.from(newApiKey().secret, 'base64url')).toHaveLength(32);
  });

  it('does not repeat itself', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => newApiKey().key));
    expect(keys.size).toBe(1000);
  });

  it('rejects malformed keys', () => {
    for (const bad of ['', 'arb_', 'arb_short_secret', `arb_ABCDEFGHIJKL_${'a'.repeat(43)}`, `xyz_abcdefghijkl_${'a'.repeat(43)}`, `arb_abcdefghijkl_${'a'.repeat(44)}`]) {
      expect(parseApiKey(bad)).toBeUndefined();
    }
  });
});
