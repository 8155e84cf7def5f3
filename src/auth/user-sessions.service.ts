import { Inject, Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { randomToken, sha256Hex } from '../infra/crypto/tokens.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import type { UserPrincipal } from './principal.js';

/** Sliding expiry is written at most this often per session, not on every request. */
const SLIDE_EVERY_MS = 60_000;

/**
 * Dashboard sign-in sessions. The bearer token (also the `arbiter_session` cookie) is 256 random bits; only its
 * SHA-256 is stored.
 */
@Injectable()
export class UserSessionsService {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  async start(userId: string, userAgent: string | undefined, tx: Prisma.TransactionClient = this.prisma): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + this.config.sessionTtlSeconds * 1000);
    const row = await tx.userSession.create({ data: { userId, tokenHash: sha256Hex(token), expiresAt, userAgent: userAgent ?? null } });
    return { token, sessionId: row.id, expiresAt };
  }

  /** The person behind a token, if the token is live and the account enabled; slides the expiry. */
  async authenticate(token: string, via: UserPrincipal['via']): Promise<UserPrincipal | undefined> {
    if (token.length < 20 || token.length > 200) return undefined;
    const session = await this.prisma.userSession.findUnique({ where: { tokenHash: sha256Hex(token) }, include: { user: true } });
    if (!session || session.expiresAt <= new Date() || session.user.disabled) return undefined;
    if (Date.now() - session.lastSeenAt.getTime() > SLIDE_EVERY_MS) {
      await this.prisma.userSession.updateMany({
        where: { id: session.id },
        data: { lastSeenAt: new Date(), expiresAt: new Date(Date.now() + this.config.sessionTtlSeconds * 1000) },
      });
    }
    return {
      kind: 'user',
      userId: session.user.id,
      email: session.user.email,
      role: session.user.role,
      sessionId: session.id,
      mustChangePassword: session.user.mustChangePassword,
      via,
    };
  }

  async end(sessionId: string): Promise<void> {
    await this.prisma.userSession.deleteMany({ where: { id: sessionId } });
  }

  /** Ends every session of the user, except `keepSessionId` when given. */
  async endAllOf(userId: string, keepSessionId?: string, tx: Prisma.TransactionClient = this.prisma): Promise<number> {
    const { count } = await tx.userSession.deleteMany({ where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) } });
    return count;
  }
}
