import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { shippedMigrations } from './migrations.js';
import { PrismaService } from './prisma.service.js';

/** Tells whether the database has every migration this build ships; an instance behind on migrations is not ready. */
@Injectable()
export class MigrationStatusService implements OnApplicationShutdown {
  private readonly logger = new Logger(MigrationStatusService.name);
  private upToDate = false;
  private current: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly prisma: PrismaService) {}

  /** Names of shipped migrations the database has not finished applying. */
  async pending(): Promise<string[]> {
    if (this.upToDate) return [];
    const shipped = shippedMigrations();
    let applied: string[] = [];
    try {
      const { rows } = await this.prisma.pool.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      );
      applied = rows.map((r) => r.migration_name);
    } catch (err) {
      // 42P01: the migrations table does not exist yet, so nothing is applied.
      if ((err as { code?: string }).code !== '42P01') throw err;
    }
    const done = new Set(applied);
    const missing = shipped.filter((name) => !done.has(name));
    // Applied migrations never become unapplied, so once complete we stop asking.
    this.upToDate = missing.length === 0;
    return missing;
  }

  /**
   * Resolves once the database carries every shipped migration. Start-up work that needs the tables (the first
   * admin, sweepers) waits on it, so an instance on a database that is behind starts, says so, and is not ready.
   */
  whenCurrent(): Promise<void> {
    this.current ??= new Promise<void>((resolve) => {
      let warned = false;
      const check = async () => {
        if (this.stopped) return;
        try {
          const missing = await this.pending();
          if (missing.length === 0) return resolve();
          if (!warned) {
            this.logger.warn(`database is behind on migrations (${missing.join(', ')} pending): not ready until "npm run db:migrate" applies them`);
            warned = true;
          }
        } catch (err) {
          this.logger.warn(`cannot read migration state: ${(err as Error).message}`);
        }
        this.pollTimer = setTimeout(check, 2000);
      };
      void check();
    });
    return this.current;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
  }
}
