import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import passport from 'passport';
import type { UserRole } from '../generated/prisma/enums.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { IS_PUBLIC } from '../infra/http/public.decorator.js';
import { API_KEY_ALLOWED, PASSWORD_CHANGE_ALLOWED, ROLES } from './auth.decorators.js';
import type { Principal } from './principal.js';
import { ApiKeyStrategy } from './strategies/api-key.strategy.js';
import { UserSessionStrategy } from './strategies/user-session.strategy.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Deny by default: every route needs a signed-in person unless it is `@Public()` or `@AllowApiKey()`.
 * Cookie-authenticated writes must carry `X-Requested-With`, which a cross-site form or image cannot send (CSRF).
 */
@Injectable()
export class ArbiterAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly userSessions: UserSessionStrategy,
    private readonly apiKeys: ApiKeyStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<Request>();
    const principal = await this.authenticate(req, context.switchToHttp().getResponse<Response>());
    req.user = principal;

    if (principal.kind === 'api_key') {
      if (!this.reflector.getAllAndOverride<boolean>(API_KEY_ALLOWED, targets)) {
        throw new AppError('forbidden', 'API keys cannot call this route; sign in as a dashboard user');
      }
      return true;
    }
    if (principal.via === 'cookie' && !SAFE_METHODS.has(req.method) && !req.headers['x-requested-with']) {
      throw new AppError('csrf_required', 'cookie-authenticated requests that change state must send the X-Requested-With header');
    }
    if (principal.mustChangePassword && !this.reflector.getAllAndOverride<boolean>(PASSWORD_CHANGE_ALLOWED, targets)) {
      throw new AppError('password_change_required', 'change your password first: POST /api/auth/change-password');
    }
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new AppError('forbidden', `this requires the ${roles.join(' or ')} role`);
    }
    return true;
  }

  /**
   * Runs passport's chain (person, then agent) with this application's own strategy instances, not names: passport's
   * by-name registry is process-wide, so a second application in one process (two instances in a test) would
   * authenticate the first one's requests through its own services. Passport attaches its per-request callbacks to
   * the object it is given, so each request gets a fresh object inheriting from the instance, as passport itself
   * does for named strategies.
   */
  private authenticate(req: Request, res: Response): Promise<Principal> {
    // Passport accepts strategy objects anywhere it accepts names, arrays included; its typings only list names there.
    const chain = [Object.create(this.userSessions), Object.create(this.apiKeys)] as unknown as string[];
    return new Promise((resolve, reject) => {
      const middleware = passport.authenticate(chain, { session: false }, (err: unknown, user: Principal | false | undefined) => {
        if (err) reject(err);
        else if (!user) reject(new AppError('unauthorized', 'authentication required: a session token, the arbiter_session cookie, or an API key'));
        else resolve(user);
      }) as (req: Request, res: Response, next: (err?: unknown) => void) => void;
      middleware(req, res, (err) => reject(err ?? new AppError('unauthorized', 'authentication required')));
    });
  }
}
