import { Injectable } from '@nestjs/common';
import { shippedMigrations } from './migrations.js';
import { PrismaService } from './prisma.service.js';

/** Tells whether the database has every migration this build ships; an instance behind on migrations is not ready. */
@Injectable()
export class MigrationStatusService {
  private upToDate = false;

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
}
