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

/** Renews the cookie a sliding session came with, so the browser does not drop it at the first expiry. */
export function cookieRenewal(req: Request, credential: { token: string; via: 'bearer' | 'cookie' }): (expiresAt: Date) => void {
  return (expiresAt) => {
    if (credential.via === 'cookie' && req.res && !req.res.headersSent) req.res.cookie(SESSION_COOKIE, credential.token, sessionCookieOptions(req, expiresAt));
  };
}
