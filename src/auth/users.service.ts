import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Prisma, UserRole } from '../generated/prisma/client.js';
import { AuditService, SYSTEM_ACTOR, type AuditActor } from '../audit/audit.service.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import { RateLimitService } from '../infra/rate-limit/rate-limit.service.js';
import { loginAccountKey } from './login.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { UserSessionsService } from './user-sessions.service.js';
import { type CreatedUserView, type UserView, userView } from './dto/user.dto.js';

/** Serialises first-start admin creation across instances (any fixed number, distinct from the migration lock). */
const BOOTSTRAP_LOCK_KEY = 7_245_031_882n;

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: UserSessionsService,
    private readonly audit: AuditService,
    private readonly rateLimits: RateLimitService,
    private readonly migrations: MigrationStatusService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const current = this.migrations.whenCurrent();
    // On an up-to-date database the admin exists before we serve; on one that is behind, once it is migrated.
    if ((await this.migrations.pending()).length === 0) await this.bootstrapAdmin();
    else void current.then(() => this.bootstrapAdmin()).catch((err: Error) => this.logger.error(`creating the first admin failed: ${err.message}`));
  }

  /**
   * On a database without users, creates the first admin: from ARBITER_ADMIN_EMAIL/PASSWORD, else `admin@localhost`
   * with a random password printed once and a forced change. Several instances starting together create exactly one.
   */
  async bootstrapAdmin(): Promise<void> {
    const email = (this.config.adminEmail ?? 'admin@localhost').toLowerCase();
    const generated = this.config.adminPassword ? undefined : randomBytes(18).toString('base64url');
    const password = this.config.adminPassword ?? (generated as string);
    const passwordHash = await this.hasher.hash(password);
    const created = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`;
      if ((await tx.user.count()) > 0) return undefined;
      const user = await tx.user.create({ data: { email, passwordHash, role: 'admin', mustChangePassword: generated !== undefined } });
      await this.audit.record({ actor: SYSTEM_ACTOR, action: 'user.bootstrap_admin', target: { type: 'user', id: user.id }, details: { email } }, tx);
      return user;
    });
    if (!created) return;
    if (generated) {
      // Printed once, on purpose: it is the only way to the first sign-in. It must be changed at first use.
      this.logger.warn(`created the first admin: ${email} with password ${generated} (it must be changed at first sign-in)`);
    } else {
      this.logger.log(`created the first admin ${email} from ARBITER_ADMIN_EMAIL`);
    }
  }

  /** The signed-in person's own record. */
  async get(id: string): Promise<UserView> {
    const user = await this.prisma.user.findUnique({ where: { id } });
    if (!user) throw new AppError('unauthorized', 'the account no longer exists');
    return userView(user);
  }

  /** Newest first. */
  async list(cursor: string | undefined, limit = 50): Promise<Page<UserView>> {
    const position = decodeCursor(cursor, UUID_ID);
    const rows = await this.prisma.user.findMany({
      where: position ? { OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, id: { lt: position.id } }] } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return pageOf(rows, limit, (u) => ({ at: u.createdAt, id: u.id }), userView);
  }

  /**
   * Creates a user. Without a password one is generated: returned in this answer only, and it must be changed at
   * the first sign-in (as may be asked for a password the admin chose).
   */
  async create(
    input: { email: string; password?: string; role: UserRole; must_change_password?: boolean },
    actor: AuditActor,
    requestId?: string,
  ): Promise<CreatedUserView> {
    const email = input.email.trim().toLowerCase();
    const generated = input.password === undefined ? randomBytes(18).toString('base64url') : undefined;
    const mustChangePassword = generated !== undefined || input.must_change_password === true;
    const passwordHash = await this.hasher.hash(input.password ?? (generated as string));
    const user = await this.prisma.$transaction(async (tx) => {
      if (await tx.user.findUnique({ where: { email }, select: { id: true } })) throw new AppError('conflict', `a user with email ${email} already exists`);
      const row = await tx.user.create({ data: { email, passwordHash, role: input.role, mustChangePassword } });
      await this.audit.record(
        { actor, action: 'user.create', target: { type: 'user', id: row.id }, details: { email, role: input.role, must_change_password: mustChangePassword }, requestId },
        tx,
      );
      return row;
    });
    return generated ? { ...userView(user), password: generated } : userView(user);
  }

  /**
   * Changes role or disabled state; disabling ends every session of the user. Refuses (409 last_admin) a demotion or
   * disable that would leave no enabled admin, even when two admins demote each other at the same moment.
   */
  async update(id: string, patch: { role?: UserRole; disabled?: boolean }, actor: AuditActor, requestId?: string): Promise<UserView> {
    const removesAnAdmin = patch.disabled === true || (patch.role != null && patch.role !== 'admin');
    const user = await this.prisma.$transaction(async (tx) => {
      if (actor.id === id && removesAnAdmin) throw new AppError('conflict', 'admins cannot disable or demote themselves');
      if (removesAnAdmin) await this.keepAnAdmin(tx, id);
      const existing = await tx.user.findUnique({ where: { id } });
      if (!existing) throw new AppError('not_found', 'user not found');
      const data: Prisma.UserUpdateInput = {};
      if (patch.role != null) data.role = patch.role;
      if (patch.disabled != null) data.disabled = patch.disabled;
      const row = await tx.user.update({ where: { id }, data });
      let endedSessions = 0;
      if (patch.disabled) endedSessions = await this.sessions.endAllOf(id, undefined, tx);
      await this.audit.record({ actor, action: 'user.update', target: { type: 'user', id }, details: { ...patch, ended_sessions: endedSessions }, requestId }, tx);
      return row;
    });
    return userView(user);
  }

  /**
   * Throws last_admin if `userId` is the only enabled admin. Locks every enabled admin's row (in id order, so two of
   * these never deadlock) until the transaction ends: a concurrent demotion or disable of another admin waits, and
   * under READ COMMITTED the rows it changed are re-read as committed, so the count below is what will be true after
   * both. An admin added meanwhile is not seen, which only errs towards refusing.
   */
  private async keepAnAdmin(tx: Prisma.TransactionClient, userId: string): Promise<void> {
    const admins = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`;
    if (admins.length === 1 && admins[0].id === userId) {
      throw new AppError('last_admin', 'this is the only enabled admin left: promote another user to admin first');
    }
  }

  /**
   * Sets a new password after checking the current one, and ends the user's other sessions. Wrong current passwords
   * count against the same per-account limit as sign-ins, so a stolen session cannot be used to guess the password.
   */
  async changePassword(userId: string, sessionId: string, current: string, next: string, requestId?: string): Promise<void> {
    const user = await this.prisma.user.findUnique({ where: { id: userId } });
    if (!user) throw new AppError('unauthorized', 'the account no longer exists');
    const accountKey = loginAccountKey(user.email);
    const attempts = await this.rateLimits.hit(accountKey, this.config.loginWindowSeconds);
    if (attempts.hits > this.config.loginMaxFailures) {
      await this.rateLimits.release(accountKey);
      throw new AppError('rate_limited', `too many wrong passwords; try again in ${attempts.retryAfterSeconds} s`, attempts.retryAfterSeconds);
    }
    if (!(await this.hasher.verify(user.passwordHash, current))) {
      await this.audit.record({ actor: { type: 'user', id: userId }, action: 'auth.change_password_failed', target: { type: 'user', id: userId }, details: { reason: 'wrong_password' }, requestId });
      // 403, not 401: the session itself is fine, and clients treat a 401 as "signed out".
      throw new AppError('forbidden', 'current_password: is wrong');
    }
    await this.rateLimits.reset(accountKey);
    if (current === next) throw new AppError('validation_failed', 'new_password: must differ from the current password');
    const passwordHash = await this.hasher.hash(next);
    await this.prisma.$transaction(async (tx) => {
      // Only over the password just checked: a change that committed meanwhile (another session's) wins, not both.
      const { count } = await tx.user.updateMany({ where: { id: userId, passwordHash: user.passwordHash, disabled: false }, data: { passwordHash, mustChangePassword: false } });
      if (count === 0) throw new AppError('forbidden', 'current_password: is no longer the password (it was changed meanwhile)');
      const ended = await this.sessions.endAllOf(userId, sessionId, tx);
      await this.audit.record({ actor: { type: 'user', id: userId }, action: 'auth.change_password', target: { type: 'user', id: userId }, details: { ended_sessions: ended }, requestId }, tx);
    });
  }
}
