import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
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
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly links: ShareLinksRepository,
    private readonly migrations: MigrationStatusService,
  ) {}

  onApplicationBootstrap(): void {
    void this.migrations.whenCurrent().then(() => {
      if (this.stopped) return;
      this.timer = setInterval(() => this.tick(), CHECK_EVERY_MS);
      this.timer.unref();
      this.tick();
    });
  }

  // Before the database pool closes (PrismaService closes it in onApplicationShutdown).
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Deletes finished links older than the retention period; returns how many went. */
  async removeFinished(retentionDays = SHARE_RETENTION_DAYS): Promise<number> {
    const removed = await this.links.deleteFinishedBefore(retentionDays);
    if (removed > 0) this.logger.log(`removed ${removed} share link(s) finished more than ${retentionDays} days ago`);
    return removed;
  }

  private tick(): void {
    if (this.stopped || this.running) return;
    this.running = this.removeFinished()
      .catch((err: Error) => this.logger.warn(`share link cleanup failed: ${err.message}`))
      .finally(() => (this.running = undefined));
  }
}
