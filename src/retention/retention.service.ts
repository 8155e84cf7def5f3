import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { pruneAuditEntries } from '../audit/audit-retention.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { PeriodicJob } from '../infra/scheduling/periodic-job.js';
import { removeExpiredEvents } from './retention.repository.js';

/** Rows per statement: each batch is a short transaction, so agents writing meanwhile never wait long on it. */
const BATCH = 1000;

const DAY_MS = 86_400_000;

/**
 * Deletes what has outlived its retention, continuously, on every instance: events with their verdicts and reviews
 * (never a pending one) per project, and audit entries (moving the hash chain's anchor). Each pass works in bounded
 * batches until a batch comes back short. Instances never repeat each other's work: event batches are claimed with
 * SKIP LOCKED, audit batches one after another under the anchor row's lock.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly prisma: PrismaService,
    private readonly migrations: MigrationStatusService,
  ) {
    this.job = new PeriodicJob('retention', config.retentionIntervalMs, () => this.pass(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.job.start(this.migrations.whenCurrent());
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One pass: every expired row, a batch at a time. Returns how many of each went. */
  async pass(): Promise<{ events: number; auditEntries: number }> {
    let events = 0;
    for (;;) {
      const batch = await removeExpiredEvents(this.prisma.pool, this.config.retentionDays, BATCH);
      events += batch.removed;
      if (batch.removed < BATCH || this.job.stopped) break;
    }
    let auditEntries = 0;
    const auditCutoff = new Date(Date.now() - this.config.auditRetentionDays * DAY_MS);
    for (;;) {
      const removed = await pruneAuditEntries(this.prisma.pool, auditCutoff, BATCH);
      auditEntries += removed;
      if (removed < BATCH || this.job.stopped) break;
    }
    if (events + auditEntries > 0) this.logger.log(`retention removed ${events} events and ${auditEntries} audit entries`);
    return { events, auditEntries };
  }
}
