import { type ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import type { UserRole } from '../generated/prisma/enums.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import type { Principal, UserPrincipal } from './principal.js';

export { Public } from '../infra/http/public.decorator.js';

export const ROLES = 'arbiter:roles';
export const API_KEY_ALLOWED = 'arbiter:api-key-allowed';
export const PASSWORD_CHANGE_ALLOWED = 'arbiter:password-change-allowed';

/** Only these roles may call the route (people only). Without it, any signed-in person may. */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** The route also accepts an SDK API key (`Authorization: Bearer arb_…`). */
export const AllowApiKey = () => SetMetadata(API_KEY_ALLOWED, true);

/** The route stays open to a person who must still change their password. */
export const AllowPendingPasswordChange = () => SetMetadata(PASSWORD_CHANGE_ALLOWED, true);

/** The authenticated caller, person or agent. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<Request>().user as Principal | undefined;
  if (!principal) throw new AppError('unauthorized', 'authentication required');
  return principal;
});

/** The signed-in person; refuses agents. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserPrincipal => {
  const principal = ctx.switchToHttp().getRequest<Request>().user as Principal | undefined;
  if (principal?.kind !== 'user') throw new AppError('unauthorized', 'sign in as a dashboard user');
  return principal;
});
