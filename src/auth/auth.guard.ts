import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import type { UserRole } from '../generated/prisma/enums.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { IS_PUBLIC } from '../infra/http/public.decorator.js';
import { API_KEY_ALLOWED, PASSWORD_CHANGE_ALLOWED, ROLES } from './auth.decorators.js';
import type { Principal } from './principal.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Deny by default: every route needs a signed-in person unless it is `@Public()` or `@AllowApiKey()`.
 * Cookie-authenticated writes must carry `X-Requested-With`, which a cross-site form or image cannot send (CSRF).
 */
@Injectable()
export class ArbiterAuthGuard extends AuthGuard(['user-session', 'api-key']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    await super.canActivate(context);
    const req = context.switchToHttp().getRequest<Request>();
    const principal = req.user as Principal;

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

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw new AppError('unauthorized', 'authentication required: a session token, the arbiter_session cookie, or an API key');
    return user;
  }
}
