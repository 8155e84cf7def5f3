import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { RequestContext } from '../infra/http/request-context.js';
import { RateLimitService } from '../infra/rate-limit/rate-limit.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { UserSessionsService } from './user-sessions.service.js';
import { type UserView, userView } from './dto/user.dto.js';

/**
 * Password sign-in. Every attempt is counted before the password is checked, per account and per client address, in
 * PostgreSQL (one atomic statement each), so the limit holds across instances and against concurrent guessing.
 * Attempts that turn out not to be failures give their hits back: a refused (throttled) attempt returns both, and a
 * successful sign-in clears the account's count and returns the address's hit. So the counts are failures only, and
 * many people behind one address may sign in.
 */
/** The per-account failure counter; password changes count against it too. */
export function loginAccountKey(email: string): string {
  return `login:account:${email}`;
}

@Injectable()
export class LoginService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: UserSessionsService,
    private readonly rateLimits: RateLimitService,
    private readonly audit: AuditService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  async login(emailInput: string, password: string, ctx: RequestContext): Promise<{ token: string; expiresAt: Date; user: UserView }> {
    const email = emailInput.trim().toLowerCase();
    const accountKey = loginAccountKey(email);
    const addressKey = `login:address:${ctx.ip}`;
    const window = this.config.loginWindowSeconds;
    const [account, address] = await Promise.all([this.rateLimits.hit(accountKey, window), this.rateLimits.hit(addressKey, window)]);
    const throttled =
      account.hits > this.config.loginMaxFailures ? account : address.hits > this.config.loginMaxFailuresPerAddress ? address : undefined;
    if (throttled) {
      // Not checked, so not a failure: the counts stay the number of checked failures in the window.
      await Promise.all([this.rateLimits.release(accountKey), this.rateLimits.release(addressKey)]);
      await this.audit.record({ actor: { type: 'anonymous', id: null }, action: 'auth.login_throttled', details: { email, ip: ctx.ip }, requestId: ctx.requestId });
      throw new AppError('rate_limited', `too many sign-in attempts; try again in ${throttled.retryAfterSeconds} s`, throttled.retryAfterSeconds);
    }

    const user = await this.prisma.user.findUnique({ where: { email } });
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (!ok || !user || user.disabled) {
      await this.audit.record({
        actor: user ? { type: 'user', id: user.id } : { type: 'anonymous', id: null },
        action: 'auth.login_failed',
        details: { email, ip: ctx.ip, reason: !user ? 'unknown_email' : !ok ? 'wrong_password' : 'disabled' },
        requestId: ctx.requestId,
      });
      throw new AppError('invalid_credentials', 'wrong email or password');
    }

    const session = await this.prisma.$transaction(async (tx) => {
      await this.sessions.pruneExpired(user.id, tx);
      const started = await this.sessions.start(user.id, user.passwordHash, ctx.userAgent, tx);
      if (!started) return undefined;
      await this.audit.record(
        { actor: { type: 'user', id: user.id }, action: 'auth.login', target: { type: 'user', id: user.id }, details: { ip: ctx.ip, session_id: started.sessionId }, requestId: ctx.requestId },
        tx,
      );
      return started;
    });
    if (!session) {
      // The password changed or the account was disabled while we checked: what was verified is no longer the credential.
      await this.audit.record({ actor: { type: 'user', id: user.id }, action: 'auth.login_failed', details: { email, ip: ctx.ip, reason: 'credential_changed' }, requestId: ctx.requestId });
      throw new AppError('invalid_credentials', 'wrong email or password');
    }
    await Promise.all([this.rateLimits.reset(accountKey), this.rateLimits.release(addressKey)]);
    return { token: session.token, expiresAt: session.expiresAt, user: userView(user) };
  }
}
