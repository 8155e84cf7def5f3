import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import passport from 'passport';
import type { UserRole } from '../generated/prisma/enums.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { IS_PUBLIC } from '../infra/http/public.decorator.js';
import { AUTHENTICATION_REQUIRED, userRefusal } from './access-rules.js';
import { API_KEY_ALLOWED, PASSWORD_CHANGE_ALLOWED, ROLES } from './auth.decorators.js';
import type { Principal } from './principal.js';
import { SIGN_IN_CHECKED_BY_STATEMENT, uncheckedSignInOf } from './statement-sign-in.js';
import { ApiKeyStrategy } from './strategies/api-key.strategy.js';
import { UserSessionStrategy } from './strategies/user-session.strategy.js';

/**
 * Deny by default: every route needs a signed-in person unless it is `@Public()` or `@AllowApiKey()`.
 * A person must also pass `userRefusal` (CSRF header, pending password change, roles).
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
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    const passwordChangeAllowed = Boolean(this.reflector.getAllAndOverride<boolean>(PASSWORD_CHANGE_ALLOWED, targets));
    if (this.reflector.getAllAndOverride<boolean>(SIGN_IN_CHECKED_BY_STATEMENT, targets)) {
      // The handler's statement checks the sign-in with its change; what would be refused without a query is
      // refused by the full check below, with its usual error.
      const unchecked = uncheckedSignInOf(req, { roles, passwordChangeAllowed });
      if (unchecked) {
        req.user = unchecked;
        return true;
      }
    }
    const principal = await this.authenticate(req, context.switchToHttp().getResponse<Response>());
    req.user = principal;

    if (principal.kind === 'api_key') {
      if (!this.reflector.getAllAndOverride<boolean>(API_KEY_ALLOWED, targets)) {
        throw new AppError('forbidden', 'API keys cannot call this route; sign in as a dashboard user');
      }
      return true;
    }
    const refusal = userRefusal(principal, {
      method: req.method,
      csrfHeader: Boolean(req.headers['x-requested-with']),
      roles,
      passwordChangeAllowed,
    });
    if (refusal) throw refusal;
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
        else if (!user) reject(new AppError('unauthorized', AUTHENTICATION_REQUIRED));
        else resolve(user);
      }) as (req: Request, res: Response, next: (err?: unknown) => void) => void;
      middleware(req, res, (err) => reject(err ?? new AppError('unauthorized', 'authentication required')));
    });
  }
}
