import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { ARBITER_CONFIG } from '../config/config.module.js';
import type { ArbiterConfig } from '../config/config.js';
import { sha256Hex } from '../crypto/tokens.js';
import { AppError } from '../errors/error-catalogue.js';
import { Public } from '../http/public.decorator.js';
import { MetricsService } from './metrics.service.js';

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(given), 'hex'), Buffer.from(sha256Hex(expected), 'hex'));
}

/** Open to the global guard (scrapers are not people); ARBITER_METRICS_TOKEN, when set, is checked here. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const expected = this.config.metricsToken;
    if (expected !== undefined) {
      const given = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
      if (!tokensEqual(given, expected)) throw new AppError('unauthorized', 'metrics: send Authorization: Bearer <ARBITER_METRICS_TOKEN>');
    }
    return this.metrics.registry.metrics();
  }
}
