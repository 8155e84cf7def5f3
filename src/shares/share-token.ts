import { randomToken, sha256Hex } from '../infra/crypto/tokens.js';

/** 32 random bytes in base64url without padding: always 43 characters. */
const SHARE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newShareToken(): { token: string; tokenHash: string } {
  const token = randomToken(32);
  return { token, tokenHash: sha256Hex(token) };
}

/**
 * The stored hash of a presented token, or undefined when the token cannot be one we issued (wrong length or
 * alphabet). Such tokens are answered 404 without a database lookup.
 */
export function shareTokenHash(token: string): string | undefined {
  return SHARE_TOKEN.test(token) ? sha256Hex(token) : undefined;
}
