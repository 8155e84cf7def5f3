import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { looksLikeApiKey } from '../api-keys/api-key-format.js';
import type { UserPrincipal } from '../principal.js';
import { UserSessionsService } from '../user-sessions.service.js';
import { SESSION_COOKIE, credentialOf, sessionCookieOptions } from './bearer-token.js';

/** People: an opaque session token, as a bearer token or the `arbiter_session` cookie. */
@Injectable()
export class UserSessionStrategy extends PassportStrategy(Strategy, 'user-session') {
  constructor(private readonly sessions: UserSessionsService) {
    super();
  }

  /** A private registry: the guard hands passport this instance directly, so the process-wide one stays untouched. */
  getPassportInstance(): passport.PassportStatic {
    return new passport.Passport() as passport.PassportStatic;
  }

  async validate(req: Request): Promise<UserPrincipal | null> {
    const credential = credentialOf(req);
    if (!credential || looksLikeApiKey(credential.token)) return null;
    // A sliding session slides its cookie too, or the browser would drop it at the first expiry.
    const renewCookie = (expiresAt: Date) => {
      if (credential.via === 'cookie' && req.res && !req.res.headersSent) req.res.cookie(SESSION_COOKIE, credential.token, sessionCookieOptions(req, expiresAt));
    };
    return (await this.sessions.authenticate(credential.token, credential.via, renewCookie)) ?? null;
  }
}
