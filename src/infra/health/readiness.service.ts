import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MigrationStatusService } from '../database/migration-status.service.js';
import { PrismaService } from '../database/prisma.service.js';
import { PgNotifyService } from '../notify/pg-notify.service.js';

/** The checks behind /readyz: the database answers, carries every migration, and our LISTEN connection is up. */
@Injectable()
export class ReadinessIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly migrations: MigrationStatusService,
    private readonly notify: PgNotifyService,
  ) {}

  async database() {
    const check = this.indicators.check('database');
    try {
      await withTimeout(this.prisma.pool.query('SELECT 1'), 2000);
      return check.up();
    } catch (err) {
      return check.down({ message: `unreachable: ${(err as Error).message}` });
    }
  }

  async migrationsApplied() {
    const check = this.indicators.check('migrations');
    try {
      const pending = await withTimeout(this.migrations.pending(), 2000);
      if (pending.length === 0) return check.up();
      return check.down({ message: `database is behind: ${pending.length} pending (${pending.join(', ')}); run npm run db:migrate` });
    } catch (err) {
      return check.down({ message: `cannot read migration state: ${(err as Error).message}` });
    }
  }

  notifications() {
    const check = this.indicators.check('notifications');
    return this.notify.listening ? check.up() : check.down({ message: 'LISTEN connection is down' });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
