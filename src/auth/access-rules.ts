import type { UserRole } from '../generated/prisma/enums.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import type { UserPrincipal } from './principal.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const AUTHENTICATION_REQUIRED = 'authentication required: a session token, the arbiter_session cookie, or an API key';

export interface RouteAccess {
  method: string;
  /** The request carried `X-Requested-With`. */
  csrfHeader: boolean;
  /** `@Roles(...)`; undefined lets every signed-in person in. */
  roles?: UserRole[];
  /** `@AllowPendingPasswordChange()`. */
  passwordChangeAllowed: boolean;
}

/** True for a method that must carry the CSRF header when authenticated by cookie. */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/**
 * Why a signed-in person may not call a route, or undefined if they may. Cookie-authenticated writes must carry
 * `X-Requested-With`, which a cross-site form or image cannot send (CSRF).
 */
export function userRefusal(principal: UserPrincipal, route: RouteAccess): AppError | undefined {
  if (principal.via === 'cookie' && changesState(route.method) && !route.csrfHeader) {
    return new AppError('csrf_required', 'cookie-authenticated requests that change state must send the X-Requested-With header');
  }
  if (principal.mustChangePassword && !route.passwordChangeAllowed) {
    return new AppError('password_change_required', 'change your password first: POST /api/auth/change-password');
  }
  if (route.roles && !route.roles.includes(principal.role)) {
    return new AppError('forbidden', `this requires the ${route.roles.join(' or ')} role`);
  }
  return undefined;
}
