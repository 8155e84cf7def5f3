import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import { looksLikeApiKey } from '../api-keys/api-key-format.js';
import type { ApiKeyPrincipal } from '../principal.js';

/** Agents: `Authorization: Bearer arb_…`. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  /** A private registry: the guard hands passport this instance directly, so the process-wide one stays untouched. */
  getPassportInstance(): passport.PassportStatic {
    return new passport.Passport() as passport.PassportStatic;
  }

  async validate(req: Request): Promise<ApiKeyPrincipal | null> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !looksLikeApiKey(match[1])) return null;
    return (await this.apiKeys.authenticate(match[1])) ?? null;
  }
}
