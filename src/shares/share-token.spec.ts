import { sha256Hex } from '../infra/crypto/tokens.js';
import { newShareToken, shareTokenHash } from './share-token.js';

describe('share tokens', () => {
  it('are 43 base64url characters and stored only as their SHA-256', () => {
    const { token, tokenHash } = newShareToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(tokenHash).toBe(sha256Hex(token));
    expect(tokenHash).not.toContain(token);
  });

  it('differ on every call', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newShareToken().token));
    expect(tokens.size).toBe(1000);
  });

  it('hash a well-formed token and refuse malformed ones', () => {
    const { token, tokenHash } = newShareToken();
    expect(shareTokenHash(token)).toBe(tokenHash);
    expect(shareTokenHash(token.slice(1))).toBeUndefined();
    expect(shareTokenHash(token + 'A')).toBeUndefined();
    expect(shareTokenHash(token.slice(1) + '=')).toBeUndefined();
    expect(shareTokenHash(token.slice(1) + '/')).toBeUndefined();
    expect(shareTokenHash('')).toBeUndefined();
    expect(shareTokenHash('../../etc/passwd')).toBeUndefined();
  });
});
