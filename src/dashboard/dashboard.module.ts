import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { dashboardMiddleware } from './dashboard.middleware.js';

/** The web console (web/, built to web/dist), served at / by every instance. */
@Module({})
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(dashboardMiddleware()).forRoutes('{*path}');
  }
}
