import type { CookieOptions, Request } from 'express';

export const SESSION_COOKIE = 'arbiter_session';

/** The credential a request carries: `Authorization: Bearer …` first, else the session cookie. */
export function credentialOf(req: Request): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? { token: match[1], via: 'bearer' } : undefined;
  }
  const cookie = (req.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
  return typeof cookie === 'string' && cookie ? { token: cookie, via: 'cookie' } : undefined;
}

/** HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS (as Express sees it, honouring TRUST_PROXY). */
export function sessionCookieOptions(req: Request, expiresAt: Date): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', expires: expiresAt };
}
