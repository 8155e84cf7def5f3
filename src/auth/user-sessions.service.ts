import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { randomToken, sha256Hex } from '../infra/crypto/tokens.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { notifyOnCommit } from '../infra/notify/notify-channel.js';
import type { UserPrincipal } from './principal.js';
import { signInsEndedChannel } from './sign-ins-ended.js';

interface LiveSessionRow {
  session_id: string;
  last_seen_at: Date;
  user_id: string;
  email: string;
  role: UserPrincipal['role'];
  must_change_password: boolean;
}

/** A session token is 43 characters; one far outside that is refused unread. */
export function sessionTokenLengthOk(token: string): boolean {
  return token.length >= 20 && token.length <= 200;
}

/** Sliding expiry is written at most this often per session, not on every request. */
const SLIDE_EVERY_MS = 60_000;

/**
 * The condition a live sign-in meets, over `user_sessions s JOIN users u`, with the token's SHA-256 in `hashParam`:
 * shared by the sign-in check and the statements that check a sign-in themselves (UncheckedSignIn).
 */
export function liveSignInSql(hashParam: string): string {
  return `s.token_hash = ${hashParam} AND s.expires_at > now() AND NOT u.disabled`;
}

/**
 * Dashboard sign-in sessions. The bearer token (also the `arbiter_session` cookie) is 256 random bits; only its
 * SHA-256 is stored.
 */
@Injectable()
export class UserSessionsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  /**
   * Starts a session for a sign-in checked against `verifiedHash`, only if that is still the user's password and the
   * account is still enabled, in one statement: a password change or a disable that committed after the check (while
   * argon2 ran) refuses it, and one still in flight waits for this row lock, then sees it. Undefined when refused.
   */
  async start(
    userId: string,
    verifiedHash: string,
    userAgent: string | undefined,
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<{ token: string; sessionId: string; expiresAt: Date } | undefined> {
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + this.config.sessionTtlSeconds * 1000);
    // FOR SHARE: a change or disable in flight holds the row; we wait for it and re-read the row as it committed.
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO user_sessions (id, user_id, token_hash, expires_at, user_agent)
      SELECT ${randomUUID()}::uuid, u.id, ${sha256Hex(token)}, ${expiresAt}::timestamptz, ${userAgent ?? null}
        FROM users u
       WHERE u.id = ${userId}::uuid AND u.password_hash = ${verifiedHash} AND NOT u.disabled
         FOR SHARE OF u
      RETURNING id::text AS id`;
    return rows[0] ? { token, sessionId: rows[0].id, expiresAt } : undefined;
  }

  /**
   * The person behind a token, if the token is live and the account enabled; slides the expiry, and tells `onSlide`
   * the new one (the cookie is renewed with it).
   */
  async authenticate(token: string, via: UserPrincipal['via'], onSlide?: (expiresAt: Date) => void): Promise<UserPrincipal | undefined> {
    if (!sessionTokenLengthOk(token)) return undefined;
    // Every dashboard and API request by a person comes through here: one prepared statement on the pool.
    const { rows } = await this.prisma.pool.query<LiveSessionRow>({
      name: 'arbiter_authenticate_user_session',
      text: `SELECT s.id::text AS session_id, s.last_seen_at, u.id::text AS user_id, u.email, u.role::text AS role, u.must_change_password
               FROM user_sessions s JOIN users u ON u.id = s.user_id
              WHERE ${liveSignInSql('$1')}`,
      values: [sha256Hex(token)],
    });
    const session = rows[0];
    if (!session) return undefined;
    if (!(await this.slideIfDue(session.session_id, session.last_seen_at, onSlide))) return undefined;
    return {
      kind: 'user',
      userId: session.user_id,
      email: session.email,
      role: session.role,
      sessionId: session.session_id,
      mustChangePassword: session.must_change_password,
      via,
    };
  }

  /**
   * Slides a live session's expiry if it was last written over a minute ago, and tells `onSlide` the new one (the
   * cookie is renewed with it). False if the session ended meanwhile.
   */
  async slideIfDue(sessionId: string, lastSeenAt: Date, onSlide?: (expiresAt: Date) => void): Promise<boolean> {
    if (Date.now() - lastSeenAt.getTime() <= SLIDE_EVERY_MS) return true;
    const expiresAt = new Date(Date.now() + this.config.sessionTtlSeconds * 1000);
    // Only while the session still exists: a sign-out racing this request wins.
    const { count } = await this.prisma.userSession.updateMany({ where: { id: sessionId }, data: { lastSeenAt: new Date(), expiresAt } });
    if (count === 0) return false;
    onSlide?.(expiresAt);
    return true;
  }

  async end(sessionId: string): Promise<void> {
    await this.prisma.userSession.deleteMany({ where: { id: sessionId } });
  }

  /** Ends the caller's own session, recording it. */
  async signOut(principal: UserPrincipal, requestId?: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.userSession.deleteMany({ where: { id: principal.sessionId } });
      if (count === 0) return;
      await notifyOnCommit(tx, signInsEndedChannel, { user_id: principal.userId });
      await this.audit.record(
        { actor: { type: 'user', id: principal.userId }, action: 'auth.logout', target: { type: 'user', id: principal.userId }, details: { session_id: principal.sessionId }, requestId },
        tx,
      );
    });
  }

  /** Drops the user's sessions that have expired, so the table does not grow with every sign-in. */
  async pruneExpired(userId: string, tx: Prisma.TransactionClient = this.prisma): Promise<void> {
    await tx.userSession.deleteMany({ where: { userId, expiresAt: { lte: new Date() } } });
  }

  /** Ends every session of the user, except `keepSessionId` when given. */
  async endAllOf(userId: string, keepSessionId?: string, tx: Prisma.TransactionClient = this.prisma): Promise<number> {
    const { count } = await tx.userSession.deleteMany({ where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) } });
    if (count > 0) await notifyOnCommit(tx, signInsEndedChannel, { user_id: userId });
    return count;
  }
}
