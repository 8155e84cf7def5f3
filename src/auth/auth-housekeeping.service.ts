import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { RateLimitService } from '../infra/rate-limit/rate-limit.service.js';
import { PeriodicJob } from '../infra/scheduling/periodic-job.js';

const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Deletes what sign-in leaves behind once it is useless: expired sessions, and sign-in counters whose window ended
 * (failures with made-up emails would otherwise grow the table without bound). Idempotent, so every instance runs it.
 */
@Injectable()
export class AuthHousekeepingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuthHousekeepingService.name);
  private readonly job = new PeriodicJob('sign-in housekeeping', SWEEP_EVERY_MS, () => this.sweep(), this.logger);

  constructor(
    private readonly prisma: PrismaService,
    private readonly rateLimits: RateLimitService,
    private readonly migrations: MigrationStatusService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.migrations.whenCurrent());
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  async sweep(): Promise<{ sessions: number; counters: number }> {
    const { count: sessions } = await this.prisma.userSession.deleteMany({ where: { expiresAt: { lte: new Date() } } });
    const counters = await this.rateLimits.prune(this.config.loginWindowSeconds, 'login:');
    return { sessions, counters };
  }
}
