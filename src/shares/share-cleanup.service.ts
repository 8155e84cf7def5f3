import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { PeriodicJob } from '../infra/scheduling/periodic-job.js';
import { ShareLinksRepository } from './share-links.repository.js';

/** Revoked, expired and exhausted links stay this long for the audit trail. */
export const SHARE_RETENTION_DAYS = 30;
const CHECK_EVERY_MS = 3600_000;

/**
 * Removes links that stopped working more than 30 days ago. Every instance runs it, at start and then hourly: the
 * DELETE is one statement that concurrent runs share out between them (see deleteFinishedBefore), so overlapping
 * runs are harmless and no instance needs to be "the" scheduler.
 */
@Injectable()
export class ShareCleanupService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ShareCleanupService.name);
  private readonly job = new PeriodicJob('share link cleanup', CHECK_EVERY_MS, () => this.removeFinished(), this.logger);

  constructor(
    private readonly links: ShareLinksRepository,
    private readonly migrations: MigrationStatusService,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.migrations.whenCurrent());
  }

  // Before the database pool closes (PrismaService closes it in onApplicationShutdown).
  beforeApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** Deletes finished links older than the retention period; returns how many went. */
  async removeFinished(retentionDays = SHARE_RETENTION_DAYS): Promise<number> {
    const removed = await this.links.deleteFinishedBefore(retentionDays);
    if (removed > 0) this.logger.log(`removed ${removed} share link(s) finished more than ${retentionDays} days ago`);
    return removed;
  }
}
