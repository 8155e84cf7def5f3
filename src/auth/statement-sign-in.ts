import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor, SetMetadata, UseInterceptors, applyDecorators, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { type Observable, catchError } from 'rxjs';
import type { UserRole } from '../generated/prisma/enums.js';
import { sha256Hex } from '../infra/crypto/tokens.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { AUTHENTICATION_REQUIRED, changesState, userRefusal } from './access-rules.js';
import { looksLikeApiKey } from './api-keys/api-key-format.js';
import type { UserPrincipal } from './principal.js';
import { cookieRenewal, credentialOf } from './strategies/bearer-token.js';
import { UserSessionsService, liveSignInSql, sessionTokenLengthOk } from './user-sessions.service.js';

export const SIGN_IN_CHECKED_BY_STATEMENT = 'arbiter:sign-in-checked-by-statement';

/**
 * A person's credential the guard has only read, not checked: on a route marked `@SignInCheckedByStatement()` the
 * handler's own statement checks it (live, account enabled, one of `roles`, no password change pending) together with
 * the change it makes. One round trip instead of two on a path an agent waits on, and no window between the check and
 * the change: a sign-out or a role change committed before the statement refuses it.
 */
export interface UncheckedSignIn {
  kind: 'unchecked_user';
  token: string;
  tokenHash: string;
  via: UserPrincipal['via'];
  /** `@Roles(...)` of the route; undefined lets every signed-in person in. */
  roles?: UserRole[];
  /** `@AllowPendingPasswordChange()` of the route. */
  passwordChangeAllowed: boolean;
  /** Renews the cookie when the sliding expiry moves. */
  onSlide: (expiresAt: Date) => void;
}

/** What the statement saw of a sign-in it accepted; `signInLastSeenAt` drives the sliding expiry. */
export interface AcceptedSignIn {
  signInSessionId: string;
  signInLastSeenAt: Date;
}

/**
 * The route's handler checks the sign-in in its own statement (see UncheckedSignIn) and must refuse with
 * `StatementSignInService.refusal` when that statement changed nothing. A request refused before the handler (a
 * malformed id or body) is refused for its sign-in first, as on every other route.
 */
export const SignInCheckedByStatement = () =>
  applyDecorators(SetMetadata(SIGN_IN_CHECKED_BY_STATEMENT, true), UseInterceptors(SignInRefusedFirstInterceptor));

/**
 * The credential to defer, or undefined when the request would be refused without a query (no credential, an API
 * key, a cookie write without the CSRF header): the guard then runs its full check, which gives the usual error.
 */
export function uncheckedSignInOf(req: Request, route: { roles?: UserRole[]; passwordChangeAllowed: boolean }): UncheckedSignIn | undefined {
  const credential = credentialOf(req);
  if (!credential || !sessionTokenLengthOk(credential.token) || looksLikeApiKey(credential.token)) return undefined;
  if (credential.via === 'cookie' && changesState(req.method) && !req.headers['x-requested-with']) return undefined;
  return { kind: 'unchecked_user', token: credential.token, tokenHash: sha256Hex(credential.token), via: credential.via, ...route, onSlide: cookieRenewal(req, credential) };
}

/**
 * The common table expression a statement checks an UncheckedSignIn with, named `signed_in(session_id, last_seen_at,
 * user_id)`: one row if the sign-in passes, none otherwise. `params` name the statement's parameters holding
 * `signInParameters(...)`, in that order.
 */
export function signedInCte(params: [hash: string, roles: string, passwordChangeAllowed: string]): string {
  const [hash, roles, passwordChangeAllowed] = params;
  return `signed_in AS (
         SELECT s.id AS session_id, s.last_seen_at, u.id AS user_id
           FROM user_sessions s JOIN users u ON u.id = s.user_id
          WHERE ${liveSignInSql(hash)}
            AND (${roles}::text[] IS NULL OR u.role::text = ANY(${roles}::text[]))
            AND (${passwordChangeAllowed}::boolean OR NOT u.must_change_password)
       )`;
}

export function signInParameters(signIn: UncheckedSignIn): [string, string[] | null, boolean] {
  return [signIn.tokenHash, signIn.roles ?? null, signIn.passwordChangeAllowed];
}

/** The sign-in the handler's statement must check (set by the guard on `@SignInCheckedByStatement()` routes). */
export const SignInToCheck = createParamDecorator((_: unknown, ctx: ExecutionContext): UncheckedSignIn => {
  const user = ctx.switchToHttp().getRequest<Request>().user as UncheckedSignIn | undefined;
  if (user?.kind !== 'unchecked_user') throw new AppError('unauthorized', AUTHENTICATION_REQUIRED);
  return user;
});

/** The two ends of a sign-in checked by the handler's statement: why it was refused, and its sliding expiry. */
@Injectable()
export class StatementSignInService {
  private readonly logger = new Logger(StatementSignInService.name);
  /** Per request: the handler and SignInRefusedFirstInterceptor both ask, the credential is read once. */
  private readonly refusals = new WeakMap<UncheckedSignIn, Promise<AppError | undefined>>();

  constructor(private readonly sessions: UserSessionsService) {}

  /**
   * Why a statement that checked `signIn` changed nothing because of it, as the full check would say it (the
   * credential is read again, apart); undefined when the sign-in passes, so the refusal lies elsewhere.
   */
  async refusal(signIn: UncheckedSignIn): Promise<AppError | undefined> {
    if (!this.refusals.has(signIn)) this.refusals.set(signIn, this.findRefusal(signIn));
    return this.refusals.get(signIn);
  }

  private async findRefusal(signIn: UncheckedSignIn): Promise<AppError | undefined> {
    const user = await this.sessions.authenticate(signIn.token, signIn.via, signIn.onSlide);
    if (!user) return new AppError('unauthorized', AUTHENTICATION_REQUIRED);
    // The guard let the request through only with the CSRF header where one is needed.
    return userRefusal(user, { method: 'POST', csrfHeader: true, roles: signIn.roles, passwordChangeAllowed: signIn.passwordChangeAllowed });
  }

  /**
   * Slides the accepted sign-in's expiry when due, as the full check does, renewing the cookie. After the change has
   * committed, so a failure here is logged, not answered: the session keeps its expiry and slides next time.
   */
  async slide(signIn: UncheckedSignIn, accepted: AcceptedSignIn): Promise<void> {
    try {
      await this.sessions.slideIfDue(accepted.signInSessionId, accepted.signInLastSeenAt, signIn.onSlide);
    } catch (err) {
      this.logger.warn(`sliding sign-in session ${accepted.signInSessionId} failed: ${(err as Error).message}`);
    }
  }
}

/**
 * Errors on a `@SignInCheckedByStatement()` route give way to a refused sign-in: a caller who is not signed in (or may
 * not call the route) learns that, not whether their id or body was well formed. Costs a query only on errors.
 */
@Injectable()
export class SignInRefusedFirstInterceptor implements NestInterceptor {
  constructor(private readonly signIns: StatementSignInService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const signIn = context.switchToHttp().getRequest<Request>().user as UncheckedSignIn | undefined;
    return next.handle().pipe(
      catchError(async (err: unknown) => {
        throw (signIn?.kind === 'unchecked_user' && (await this.signIns.refusal(signIn))) || err;
      }),
    );
  }
}
