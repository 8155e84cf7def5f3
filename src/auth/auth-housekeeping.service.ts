import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { RateLimitService } from '../infra/rate-limit/rate-limit.service.js';

const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Deletes what sign-in leaves behind once it is useless: expired sessions, and sign-in counters whose window ended
 * (failures with made-up emails would otherwise grow the table without bound). Idempotent, so every instance runs it.
 */
@Injectable()
export class AuthHousekeepingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuthHousekeepingService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaService,
    private readonly rateLimits: RateLimitService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: Error) => this.logger.warn(`sign-in housekeeping failed: ${err.message}`));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<{ sessions: number; counters: number }> {
    const { count: sessions } = await this.prisma.userSession.deleteMany({ where: { expiresAt: { lte: new Date() } } });
    const counters = await this.rateLimits.prune(this.config.loginWindowSeconds, 'login:');
    return { sessions, counters };
  }
}
