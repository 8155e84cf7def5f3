import { randomBytes } from 'node:crypto';

/**
 * SDK API keys look like `arb_<prefix>_<secret>`: a 12-character public prefix that finds the row, and a 43-character
 * secret (256 random bits) of which only the SHA-256 is stored.
 */
const KEY_PATTERN = /^arb_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  prefix: string;
  secret: string;
}

export function newApiKey(): { prefix: string; secret: string; key: string } {
  const prefix = randomBytes(12)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .padEnd(12, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { prefix, secret, key: `arb_${prefix}_${secret}` };
}

export function parseApiKey(key: string): ParsedApiKey | undefined {
  const match = KEY_PATTERN.exec(key);
  return match ? { prefix: match[1], secret: match[2] } : undefined;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('arb_');
}
