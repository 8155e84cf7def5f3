import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { looksLikeApiKey } from '../api-keys/api-key-format.js';
import type { UserPrincipal } from '../principal.js';
import { UserSessionsService } from '../user-sessions.service.js';
import { cookieRenewal, credentialOf } from './bearer-token.js';

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
    return (await this.sessions.authenticate(credential.token, credential.via, cookieRenewal(req, credential))) ?? null;
  }
}
