import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../http/public.decorator.js';
import { AppError } from '../errors/error-catalogue.js';
import { LivenessView, ReadinessCheckView, ReadinessView } from './dto/health.dto.js';
import { ReadinessIndicators } from './readiness.service.js';

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicators,
  ) {}

  /** Liveness: the process answers. It never touches the database, so a database outage does not restart us. */
  @Get('healthz')
  @ApiOkResponse({ type: LivenessView })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: send traffic here only when the database is reachable and fully migrated. */
  @Get('readyz')
  @HealthCheck()
  @ApiExtraModels(ReadinessCheckView)
  @ApiOkResponse({ type: ReadinessView })
  async readyz(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.readiness.database(),
        () => this.readiness.migrationsApplied(),
        () => this.readiness.notifications(),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const result = err.getResponse() as HealthCheckResult;
      const reasons = Object.entries(result.error ?? {}).map(([key, value]) => `${key}: ${String(value?.message ?? "down")}`);
      throw new AppError('not_ready', reasons.join('; ') || 'not ready');
    }
  }
}
